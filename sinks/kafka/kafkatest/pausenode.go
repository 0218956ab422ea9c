package kafkatest

import (
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// PauseNode stops the broker with node id node from answering, as a broker
// in a long GC pause or a frozen VM, while the others answer as before:
// its connections stay open and each request it receives waits, unanswered,
// until resume is called; it then handles them all, in order, including
// those whose client gave up. The leaders stay where they were, as in a
// cluster whose controller has not yet fenced the broker; a test moves
// them (Kfake().MoveTopicPartition) to model the fencing of a longer pause.
//
// kfake's brokers share one request loop, so a process signal would pause
// them all (StartProcess): here a control function puts to sleep each
// request the node receives (kfake's Cluster.SleepControl), which yields
// the loop to the other brokers' requests. resume is also called when the
// test ends.
func (c *Cluster) PauseNode(t testing.TB, node int32) (resume func()) {
	t.Helper()
	kf := c.Kfake()
	if kf == nil {
		t.Fatal("PauseNode: the cluster is stopped")
	}
	resumed := make(chan struct{})
	resume = sync.OnceFunc(func() { close(resumed) })
	t.Cleanup(resume)
	kf.Control(func(kmsg.Request) (kmsg.Response, error, bool) {
		select {
		case <-resumed:
			// Paused no longer: the first request after resume removes
			// the control; it and the rest are handled as usual.
			kf.DropControl()
			return nil, nil, false
		default:
		}
		if kf.CurrentNode() == node {
			kf.SleepControl(func() { <-resumed })
		}
		// Not handled: the cluster handles the request as usual, after
		// the sleep for the paused node's.
		return nil, nil, false
	})
	return resume
}
