package config

// What an open webhook connection costs, and what is kept from
// connections, when HIREBRIDGE_MAX_CONNECTIONS is 0.
const (
	// connectionMemory is the most an open connection was measured to
	// hold (its goroutine's stack, the server's read buffer, the socket's
	// bookkeeping), with a margin: see docs/operations.md.
	connectionMemory = 32 << 10
	// connectionsBaseline is the process's memory before any connection:
	// the runtime, the broker client or embedded server, the metrics.
	connectionsBaseline = 64 << 20
	// reservedFiles are descriptors left for everything but webhook
	// connections: the admin listener's probes, the broker's connections,
	// the embedded server's and the spool's files.
	reservedFiles = 512
	// minConnections is the fewest the automatic limit gives, whatever the
	// memory limit: a bridge must take some senders to be of use.
	minConnections = 64
	// chartMemoryLimit is the chart's default container memory limit, of
	// which the service takes 90% as its GOMEMLIMIT.
	chartMemoryLimit = 256 << 20
)

// AutomaticMaxConnections is the webhook connection limit when
// HIREBRIDGE_MAX_CONNECTIONS is 0: what the memory limit leaves beside the
// requests' budget and the baseline, a connection at a time, and never
// more than the open-file limit leaves beside the reserve, so the admin
// listener can always accept a probe. memoryLimit or openFiles of 0 or
// less mean none is known.
func AutomaticMaxConnections(memoryLimit, requestMemory int64, openFiles int64) int {
	n := int64(1 << 20)
	if memoryLimit > 0 {
		n = (memoryLimit - requestMemory - connectionsBaseline) / connectionMemory
	}
	if openFiles > 0 {
		n = min(n, openFiles-reservedFiles)
	}
	return int(max(n, minConnections))
}
