package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/rs/zerolog"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// This file decides how many copies of each partition the topics the
// bridge creates get. Unless the operator names a number, the cluster
// decides, as it does for kafka-topics.sh without --replication-factor: a
// bridge that chose would overrule the operator's default.replication.factor,
// and a copy too few loses, with one disk, events already answered 200.
//
// CreateTopics takes -1 for "the cluster's default" from request version 4
// (KIP-464, Kafka 2.4). kafka-go's Client.CreateTopics sends the highest
// version both sides speak, up to 5 (protocol/createtopics, and
// transport.go's ApiVersions negotiation), so a broker from 2.4 on gets -1
// and its controller applies its own setting. (kafka-go's Conn.CreateTopics
// stops at version 2; the sink does not use it.) Older brokers refuse -1:
// the sink then reads default.replication.factor from the controller
// (DescribeConfigs) and asks for that number.

const (
	// clusterDefault, as a CreateTopics replication factor, asks for the
	// cluster's default.
	clusterDefault = -1
	// createTopicsWithDefaults is the first CreateTopics version that
	// takes clusterDefault.
	createTopicsWithDefaults = 4
	// maxReplicationFactor is the largest the wire's int16 carries.
	maxReplicationFactor = 1<<15 - 1
	// defaultReplicationFactorConfig is the broker setting that -1 stands
	// for.
	defaultReplicationFactorConfig = "default.replication.factor"
)

// replicationFactor is ReplicationFactor as a number, clusterDefault when
// it is empty.
func (c Config) replicationFactor() (int, error) {
	s := strings.TrimSpace(c.ReplicationFactor)
	if s == "" {
		return clusterDefault, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fieldErr("ReplicationFactor", "%q is not a whole number; leave it empty for the cluster's default (%s)",
			c.ReplicationFactor, defaultReplicationFactorConfig)
	}
	if n < 1 || n > maxReplicationFactor {
		return 0, fieldErr("ReplicationFactor", "%d is not between 1 and %d; leave it empty for the cluster's default (%s)",
			n, maxReplicationFactor, defaultReplicationFactorConfig)
	}
	return n, nil
}

// replication is the factor the sink asks CreateTopics for, and where it
// came from, for the log.
type replication struct {
	// factor is a number of copies, or clusterDefault.
	factor int
	// configured is true when the operator named the number; otherwise
	// it is the cluster's default.
	configured bool
	from       string
}

// chooseReplication is the factor topics are created with: the configured
// one, or the cluster's default, sent as -1 to brokers that take it and
// read from a broker's configuration for those that do not.
func chooseReplication(ctx context.Context, client *kafkago.Client, configured int) (replication, error) {
	if configured != clusterDefault {
		return replication{factor: configured, configured: true, from: "configured"}, nil
	}
	version, err := createTopicsVersion(ctx, client)
	if err != nil {
		return replication{}, err
	}
	if version >= createTopicsWithDefaults {
		return replication{factor: clusterDefault, from: "the cluster's default (" + defaultReplicationFactorConfig + ")"}, nil
	}
	n, broker, err := readDefaultReplicationFactor(ctx, client)
	if err != nil {
		return replication{}, fieldErr("ReplicationFactor",
			"is empty, for the cluster's default, but these brokers (CreateTopics version %d, before Kafka 2.4) cannot create a topic with their default, and reading their %s failed: %v; set a number",
			version, defaultReplicationFactorConfig, err)
	}
	return replication{factor: n, from: fmt.Sprintf("%s of broker %d (brokers before Kafka 2.4 cannot be asked for their default)",
		defaultReplicationFactorConfig, broker)}, nil
}

// createTopicsVersion is the highest CreateTopics version a broker speaks.
func createTopicsVersion(ctx context.Context, client *kafkago.Client) (int, error) {
	res, err := client.ApiVersions(ctx, &kafkago.ApiVersionsRequest{})
	if err != nil {
		return 0, fmt.Errorf("asking a broker for its API versions: %w", err)
	}
	for _, k := range res.ApiKeys {
		if k.ApiKey == int(protocol.CreateTopics) {
			return k.MaxVersion, nil
		}
	}
	return 0, errors.New("the broker does not take CreateTopics")
}

// readDefaultReplicationFactor reads default.replication.factor from the
// controller, which creates topics.
func readDefaultReplicationFactor(ctx context.Context, client *kafkago.Client) (n, broker int, err error) {
	md, err := client.Metadata(ctx, &kafkago.MetadataRequest{})
	if err != nil {
		return 0, 0, fmt.Errorf("metadata: %w", err)
	}
	broker = md.Controller.ID
	res, err := client.DescribeConfigs(ctx, &kafkago.DescribeConfigsRequest{
		Resources: []kafkago.DescribeConfigRequestResource{{
			ResourceType: kafkago.ResourceTypeBroker,
			ResourceName: strconv.Itoa(broker),
			ConfigNames:  []string{defaultReplicationFactorConfig},
		}},
	})
	if err != nil {
		return 0, broker, err
	}
	for _, r := range res.Resources {
		if r.Error != nil {
			return 0, broker, r.Error
		}
		for _, e := range r.ConfigEntries {
			if e.ConfigName != defaultReplicationFactorConfig {
				continue
			}
			n, err := strconv.Atoi(e.ConfigValue)
			if err != nil || n < 1 {
				return 0, broker, fmt.Errorf("broker %d says %s is %q", broker, defaultReplicationFactorConfig, e.ConfigValue)
			}
			return n, broker, nil
		}
	}
	return 0, broker, fmt.Errorf("broker %d does not report %s", broker, defaultReplicationFactorConfig)
}

// logTo adds r to a log line: the number of copies and where it came
// from, or the cluster's default.
func (r replication) logTo(e *zerolog.Event) *zerolog.Event {
	if r.factor == clusterDefault {
		return e.Str("replication_factor", r.from)
	}
	return e.Int("replication_factor", r.factor).Str("replication_factor_from", r.from)
}

// refusedReplication is Open's error when the cluster refuses to create a
// topic with r (INVALID_REPLICATION_FACTOR: more copies than brokers), as
// one line naming the setting, with the number of brokers the cluster
// reports.
func refusedReplication(ctx context.Context, client *kafkago.Client, r replication, err error) error {
	brokers := "an unknown number of brokers"
	// From the client's cache: no request is sent.
	if md, merr := client.Metadata(ctx, &kafkago.MetadataRequest{}); merr == nil {
		brokers = fmt.Sprintf("%d broker(s)", len(md.Brokers))
	}
	if !r.configured {
		return fieldErr("ReplicationFactor",
			"is empty, for the cluster's default (%s), which the cluster cannot meet: %v; the cluster has %s: lower %s on the brokers, or set a number of copies no larger",
			defaultReplicationFactorConfig, err, brokers, defaultReplicationFactorConfig)
	}
	return fieldErr("ReplicationFactor",
		"%d copies of each partition, which the cluster cannot meet: %v; the cluster has %s: set a number no larger, or leave it empty for the cluster's default (%s)",
		r.factor, err, brokers, defaultReplicationFactorConfig)
}

// noteCreated logs a topic the sink created with the copies the cluster
// gave it: with the cluster's default, this is where the number shows. A
// single copy on a cluster of several brokers is a warning.
func (t *topics) noteCreated(ctx context.Context, name string, again bool) {
	p, err := t.cached(ctx, name)
	known := err == nil && p.present
	e, msg := t.log.Info(), "created topic"
	if again {
		e, msg = t.log.Warn(), "topic was missing on the broker; created it again"
	}
	if known && t.fewCopies(p) {
		e = t.log.Warn()
		msg += "; the cluster's " + defaultReplicationFactorConfig +
			" gave it a single copy of each partition, so one lost disk loses its events: raise it on the brokers, or set HIREBRIDGE_KAFKA_REPLICATION_FACTOR"
	}
	e = e.Str("topic", name).Int("partitions", t.partitions)
	if known {
		e = e.Int("replication_factor", p.copies).Int("brokers", p.brokers)
	} else {
		e = t.replication.logTo(e)
	}
	e.Msg(msg)
}

// noteExisting warns of an existing topic with fewer copies than the
// bridge would create it with. The bridge never changes a topic: those it
// created while its default was one copy keep one copy until an operator
// adds replicas.
func (t *topics) noteExisting(name string, p placement) {
	if !t.fewCopies(p) {
		return
	}
	t.log.Warn().Str("topic", name).Int("replication_factor", p.copies).Int("brokers", p.brokers).
		Msg("the topic has fewer copies of each partition than the bridge would create it with, and the bridge does not change existing topics: add replicas with kafka-reassign-partitions.sh (docs/production.md)")
}

// fewCopies tells whether a topic has fewer copies than the bridge asks
// for: fewer than the number configured, or, with the cluster's default
// (whose value the sink does not know), a single copy on a cluster of
// several brokers.
func (t *topics) fewCopies(p placement) bool {
	if !p.present || p.copies == 0 {
		return false
	}
	if t.replication.factor == clusterDefault {
		return p.copies == 1 && p.brokers > 1
	}
	return p.copies < t.replication.factor
}
