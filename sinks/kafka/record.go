package kafka

import (
	kafkago "github.com/segmentio/kafka-go"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// record renders m in the CloudEvents Kafka binding, binary content mode:
// each attribute as a ce_<name> header, the content type as content-type,
// then m's own headers as they are. The key is m.Key; an empty key stays nil
// so the balancer spreads keyless records instead of hashing them all to
// one partition.
func record(m *sinks.Message) kafkago.Message {
	attrs := m.Attributes()
	hs := make([]kafkago.Header, 0, len(attrs)+1+len(m.Headers))
	for _, a := range attrs {
		hs = append(hs, kafkago.Header{Key: events.Kafka.AttributePrefix + a.Name, Value: []byte(a.Value)})
	}
	if m.Event != nil {
		hs = append(hs, kafkago.Header{Key: events.Kafka.DataContentType, Value: []byte(events.DataContentType)})
	}
	for _, h := range m.Headers {
		hs = append(hs, kafkago.Header{Key: h.Name, Value: []byte(h.Value)})
	}
	r := kafkago.Message{Topic: m.Topic, Value: m.Body, Headers: hs}
	if m.Key != "" {
		r.Key = []byte(m.Key)
	}
	return r
}
