"""Facts the program and the policy pack share."""
