package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
)

// tailKafka is tail on Kafka: the same filter syntax as on NATS (topics
// are named as the subjects are, so "hirempire.*" and "hirempire.>" mean
// the same on both), checked against the topics that exist, and the same
// lines.
func tailKafka(ctx context.Context, cfg Config, brokers, filter string, all bool, stdout io.Writer) error {
	if err := sinks.CheckPattern(filter); err != nil {
		return fmt.Errorf("tail %s: %w", filter, err)
	}
	kc := kafkaConfig(cfg, zerolog.Nop())
	kc.Brokers = nil
	for _, b := range strings.Split(brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			kc.Brokers = append(kc.Brokers, b)
		}
	}
	r, err := kafka.NewReader(kc)
	if err != nil {
		return cfg.varError(err)
	}
	defer r.Close()
	topics, err := r.Topics(ctx)
	if err != nil {
		return fmt.Errorf("kafka at %s: %w", brokers, err)
	}
	if err := checkTopicFilter(filter, cfg.Bridge.Prefix, topics); err != nil {
		return fmt.Errorf("tail %s: %w", filter, err)
	}
	fmt.Fprintf(os.Stderr, "following %s on Kafka at %s; Ctrl-C stops\n", filter, brokers)
	enc := json.NewEncoder(stdout)
	err = r.Follow(ctx, func(topic string) bool { return sinks.Matches(filter, topic) }, all, func(st sinks.Stored) error {
		return enc.Encode(kafkaTailLine(st))
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// checkTopicFilter refuses a filter that matches no topic, naming those
// under the prefix, so a typo is not a silent wait.
func checkTopicFilter(filter, prefix string, topics []string) error {
	var ours []string
	for _, t := range topics {
		if sinks.Matches(filter, t) {
			return nil
		}
		if strings.HasPrefix(t, prefix+".") {
			ours = append(ours, t)
		}
	}
	if len(ours) == 0 {
		return fmt.Errorf("%q matches no topic, and there is none under %s. yet: start the service first", filter, prefix)
	}
	return fmt.Errorf("%q matches no topic; there are %s", filter, strings.Join(ours, ", "))
}

// kafkaTailLine shows a Kafka record as tail shows a NATS message: the
// binding's ce_<name> headers as ce-<name>, the rest as they are.
func kafkaTailLine(st sinks.Stored) tailRecord {
	hs := map[string]string{}
	for _, h := range st.Headers {
		name := h.Name
		if rest, ok := strings.CutPrefix(name, "ce_"); ok {
			name = "ce-" + rest
		}
		if prev, ok := hs[name]; ok {
			hs[name] = prev + "," + h.Value
			continue
		}
		hs[name] = h.Value
	}
	return newTailRecord(st.Topic, hs, st.Body)
}
