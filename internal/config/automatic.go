package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/embedded"
)

// automaticValue is the value the service uses for a setting whose own
// value leaves the choice to it, and why that one.
type automaticValue struct {
	value, why string
	// inSetting is true when Load put the value in the setting itself,
	// which the listing then shows empty, as it was given.
	inSetting bool
}

// note is how `hirebridge config` says it.
func (a automaticValue) note() string {
	if a.why == "" {
		return "automatic: " + a.value
	}
	return "automatic: " + a.value + " (" + a.why + ")"
}

// automatic is, by variable, the value in use of each setting left to the
// service, where it is known without reaching a broker. Each comes from
// the rule the part itself applies (natsjs.AutomaticDuplicateWindow,
// embedded.AutomaticStreamMaxBytes), so the listing cannot drift from it.
// The free space is read now: the service reads it again when it starts.
func (c Config) automatic() map[string]automaticValue {
	out := map[string]automaticValue{}
	if c.TokenGenerated {
		out[Prefix+"WEBHOOK_TOKEN"] = automaticValue{"drawn at random at each start", "the webhook URL is logged", true}
	}
	if c.MaxConnections == 0 {
		// The limit in use depends on the process's memory limit, known
		// only where the service runs: the rule, and what it gives in the
		// chart's default container.
		chart := AutomaticMaxConnections(chartMemoryLimit*9/10, c.Bridge.RequestMemory, 0)
		out[Prefix+"MAX_CONNECTIONS"] = automaticValue{
			value: fmt.Sprintf("(memory limit − %sREQUEST_MEMORY_BYTES − %d MiB) / %d KiB, at most the open-file limit − %d",
				Prefix, connectionsBaseline>>20, connectionMemory>>10, reservedFiles),
			why: fmt.Sprintf("%d in a %d MiB container", chart, chartMemoryLimit>>20)}
	}
	if c.SpoolDirResolved {
		out[Prefix+"SPOOL_DIR"] = automaticValue{c.Spool.Dir, "under " + Prefix + "DATA_DIR", true}
	}
	if c.Sink == "kafka" && strings.TrimSpace(c.Kafka.ReplicationFactor) == "" {
		// The number is the brokers' (or their controller's) to say,
		// and only when a topic is created.
		out[Prefix+"KAFKA_REPLICATION_FACTOR"] = automaticValue{value: "the cluster's default", why: "default.replication.factor"}
	}
	if c.Sink != "nats" {
		return out
	}
	local := c.NATS.URLs == ""
	server := "an external server"
	if local {
		server = "the embedded server"
		out[Prefix+"NATS_URL"] = automaticValue{value: "the embedded server", why: "storing under " + c.DataDir}
		if !c.EmbeddedAddrSet {
			out[Prefix+"NATS_EMBEDDED_ADDR"] = automaticValue{value: c.Embedded.Addr + ", or a free port if that is taken"}
		}
	}
	if c.NATS.DuplicateWindow == 0 {
		out[Prefix+"NATS_DUPLICATE_WINDOW"] = automaticValue{value: natsjs.AutomaticDuplicateWindow(local).String(), why: server}
	}
	if c.NATS.StreamMaxBytes == 0 {
		out[Prefix+"NATS_STREAM_MAX_BYTES"] = c.automaticStreamMaxBytes(local)
	}
	return out
}

// automaticStreamMaxBytes says the cap of the stream the bridge creates
// with HIREBRIDGE_NATS_STREAM_MAX_BYTES at 0.
func (c Config) automaticStreamMaxBytes(local bool) automaticValue {
	if !local {
		// natsjs creates the stream without a cap: the server is not the
		// bridge's to guard.
		return automaticValue{value: "no cap", why: "an external server"}
	}
	n := embedded.AutomaticStreamMaxBytes(c.DataDir)
	if n < 0 {
		return automaticValue{value: "no cap", why: "the free space under " + c.DataDir + " cannot be read"}
	}
	return automaticValue{value: strconv.FormatInt(n, 10), why: fmt.Sprintf("half the %s free under %s now", gibibytes(2*n), c.DataDir)}
}

// gibibytes is n bytes for people.
func gibibytes(n int64) string {
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}
