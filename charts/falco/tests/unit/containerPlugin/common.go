package containerPlugin

var volumeNames = []string{
	"docker-socket",
	"containerd-socket",
	"crio-socket",
	"container-engine-socket-0",
	"container-engine-socket-1",
	"container-engine-socket-2",
	"container-engine-socket-3",
	"container-engine-socket-4",
	"container-engine-socket-5",
}
