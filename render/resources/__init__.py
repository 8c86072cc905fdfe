"""Custom resources the platform creates for the teams: Sloth's and Pyrra's SLO objects, Litmus' chaos objects (and the rules that watch them)."""
