// Package kafkatest runs an in-process Kafka broker (franz-go's kfake) for
// tests: on a free port of 127.0.0.1, storing under the test's temporary
// directory, so it can be stopped and started again with its topics and
// records, as a broker that goes down and comes back, or started again
// empty, as a broker that lost its store. StartBrokers runs a cluster of
// several, whose brokers a test can pause one at a time (PauseNode).
// StartProcess runs one in a child process instead, which a test can pause
// and resume. Both read topics back with franz-go, a client independent of
// the one under test.
package kafkatest

import (
	"context"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Cluster is a kfake cluster, of one broker unless StartBrokers says
// otherwise. Automatic topic creation stays off, as kfake's default, so a
// client relying on it fails.
type Cluster struct {
	ports []int
	dir   string
	opts  []kfake.Opt

	// ClientOpts are added to the franz-go client that Records uses, e.g.
	// SASL or TLS for a secured cluster.
	ClientOpts []kgo.Opt

	mu  sync.Mutex
	cur *kfake.Cluster
}

// Start runs a broker shut down when the test ends. opts are kfake's
// (SASL, TLS, users); the port and data directory are chosen here.
func Start(t testing.TB, opts ...kfake.Opt) *Cluster {
	t.Helper()
	return StartBrokers(t, 1, opts...)
}

// StartBrokers runs a cluster of n brokers shut down when the test ends.
// Topics created with the cluster's default replication factor (-1) get
// min(3, n) copies: kfake's rule, whatever default.replication.factor says.
// kfake keeps one store for all its brokers, so copies are only metadata:
// what a cluster of several brokers brings here is its leaders, which move.
func StartBrokers(t testing.TB, n int, opts ...kfake.Opt) *Cluster {
	t.Helper()
	// Port 0 on the first start: each broker binds a port of the kernel's
	// choosing, so no other test can take it between choosing and binding;
	// restarts reuse them.
	c := &Cluster{ports: make([]int, n), dir: t.TempDir(), opts: opts}
	c.Start(t)
	t.Cleanup(c.Stop)
	return c
}

// Addr is the first broker's host:port, enough for a client to find the
// others; it stays the same across restarts.
func (c *Cluster) Addr() string {
	return hostPort(c.ports[0])
}

// Addrs are every broker's host:port, in the order of their node ids.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.ports))
	for i, p := range c.ports {
		addrs[i] = hostPort(p)
	}
	return addrs
}

// Ports are every broker's port, in the order of their node ids.
func (c *Cluster) Ports() []int { return append([]int(nil), c.ports...) }

func hostPort(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// Kfake is the running cluster, for kfake's controls; nil while stopped.
func (c *Cluster) Kfake() *kfake.Cluster {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur
}

// Stop shuts the broker down, closing every client connection, after
// writing its state to disk.
func (c *Cluster) Stop() {
	c.mu.Lock()
	cur := c.cur
	c.cur = nil
	c.mu.Unlock()
	if cur != nil {
		cur.Close()
	}
}

// Start starts a stopped broker again on the same port with the same
// topics and records; it does nothing while the broker runs.
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil {
		return
	}
	opts := append([]kfake.Opt{kfake.Ports(c.ports...), kfake.DataDir(c.dir)}, c.opts...)
	var err error
	// The ports were just released by this process; a moment may pass
	// before the kernel lets them be bound again.
	for range 50 {
		c.cur, err = kfake.NewCluster(opts...)
		if err == nil {
			if c.ports[0] == 0 {
				c.ports = boundPorts(t, c.cur, len(c.ports))
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("kfake on %v: %v", c.Addrs(), err)
}

// StartEmpty starts a stopped broker again on the same port with an empty
// store: no topics, no records, as kfake restarted without a data
// directory, or a broker whose disk was replaced.
func (c *Cluster) StartEmpty(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	c.mu.Lock()
	c.dir = dir
	c.mu.Unlock()
	c.Start(t)
}

// DeleteTopic deletes topic, as an operator would with kafka-topics.sh.
func (c *Cluster) DeleteTopic(t testing.TB, topic string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.Addrs()...)}, c.ClientOpts...)...)
	if err != nil {
		t.Fatalf("franz-go client: %v", err)
	}
	defer cl.Close()
	res, err := kadm.NewClient(cl).DeleteTopic(ctx, topic)
	if err == nil {
		err = res.Err
	}
	if err != nil {
		t.Fatalf("deleting topic %s: %v", topic, err)
	}
}

// Header is one record header.
type Header struct {
	Key   string
	Value string
}

// Record is a stored record as a consumer sees it.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte
	Headers   []Header
	Value     []byte
	// Compression is the codec of the batch the record came in, as Kafka
	// numbers them: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.
	Compression uint8
}

// Records reads every record of topic, partition by partition in offset
// order. A missing topic has none.
func (c *Cluster) Records(t testing.TB, topic string) []Record {
	t.Helper()
	return ReadRecords(t, strings.Join(c.Addrs(), ","), topic, c.ClientOpts...)
}

// ReadRecords reads every record of topic from the brokers at addrs
// (host:port, comma-separated), partition by partition in offset order. A
// missing topic has none.
func ReadRecords(t testing.TB, addrs, topic string, clientOpts ...kgo.Opt) []Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opts := append([]kgo.Opt{kgo.SeedBrokers(strings.Split(addrs, ",")...)}, clientOpts...)
	admin, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatalf("franz-go client: %v", err)
	}
	defer admin.Close()
	ends, err := kadm.NewClient(admin).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("listing end offsets of %s: %v", topic, err)
	}
	want := map[int32]int64{}
	offsets := map[string]map[int32]kgo.Offset{topic: {}}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil && o.Offset > 0 {
			want[o.Partition] = o.Offset
			offsets[topic][o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	if len(want) == 0 {
		return nil
	}
	consumer, err := kgo.NewClient(append(opts, kgo.ConsumePartitions(offsets))...)
	if err != nil {
		t.Fatalf("franz-go consumer: %v", err)
	}
	defer consumer.Close()
	var recs []Record
	next := map[int32]int64{}
	for !caughtUp(next, want) {
		fetches := consumer.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("reading %s: got %d records, offsets %v of %v: %v", topic, len(recs), next, want, ctx.Err())
		}
		fetches.EachError(func(topic string, p int32, err error) {
			t.Logf("fetching %s/%d: %v", topic, p, err)
		})
		fetches.EachRecord(func(r *kgo.Record) {
			rec := Record{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value,
				Compression: r.Attrs.CompressionType()}
			for _, h := range r.Headers {
				rec.Headers = append(rec.Headers, Header{Key: h.Key, Value: string(h.Value)})
			}
			recs = append(recs, rec)
			next[r.Partition] = r.Offset + 1
		})
	}
	sort.SliceStable(recs, func(i, j int) bool {
		if recs[i].Partition != recs[j].Partition {
			return recs[i].Partition < recs[j].Partition
		}
		return recs[i].Offset < recs[j].Offset
	})
	return recs
}

// Header returns the first value of the header key, and whether it is
// there.
func (r Record) Header(key string) (string, bool) {
	for _, h := range r.Headers {
		if h.Key == key {
			return h.Value, true
		}
	}
	return "", false
}

func caughtUp(next, want map[int32]int64) bool {
	for p, end := range want {
		if next[p] < end {
			return false
		}
	}
	return true
}

// Partitions is the number of partitions of topic, 0 when it is missing.
func (c *Cluster) Partitions(t testing.TB, topic string) int {
	t.Helper()
	return len(DescribeTopic(t, strings.Join(c.Addrs(), ","), topic, c.ClientOpts...))
}

// PartitionsAt is the number of partitions of topic on the brokers at
// addrs (host:port, comma-separated), 0 when it is missing.
func PartitionsAt(t testing.TB, addrs, topic string, clientOpts ...kgo.Opt) int {
	t.Helper()
	return len(DescribeTopic(t, addrs, topic, clientOpts...))
}

// Replicas are the node ids holding a copy of each partition of topic, by
// partition; none when the topic is missing.
func (c *Cluster) Replicas(t testing.TB, topic string) map[int32][]int32 {
	t.Helper()
	return DescribeTopic(t, strings.Join(c.Addrs(), ","), topic, c.ClientOpts...)
}

// DescribeTopic is the node ids holding a copy of each partition of topic
// on the brokers at addrs (host:port, comma-separated), by partition; none
// when the topic is missing.
func DescribeTopic(t testing.TB, addrs, topic string, clientOpts ...kgo.Opt) map[int32][]int32 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(strings.Split(addrs, ",")...)}, clientOpts...)...)
	if err != nil {
		t.Fatalf("franz-go client: %v", err)
	}
	defer cl.Close()
	topics, err := kadm.NewClient(cl).ListTopics(ctx, topic)
	if err != nil {
		t.Fatalf("listing topic %s: %v", topic, err)
	}
	d, ok := topics[topic]
	if !ok || d.Err != nil {
		return nil
	}
	replicas := make(map[int32][]int32, len(d.Partitions))
	for p, pd := range d.Partitions {
		replicas[p] = pd.Replicas
	}
	return replicas
}

// boundPorts are the ports the n brokers of cluster listen on.
func boundPorts(t testing.TB, cluster *kfake.Cluster, n int) []int {
	t.Helper()
	addrs := cluster.ListenAddrs()
	if len(addrs) != n {
		t.Fatalf("kfake listens on %v, want %d addresses", addrs, n)
	}
	ports := make([]int, n)
	for i, a := range addrs {
		_, port, err := net.SplitHostPort(a)
		if err != nil {
			t.Fatal(err)
		}
		if ports[i], err = strconv.Atoi(port); err != nil {
			t.Fatal(err)
		}
	}
	return ports
}
