package tests

import (
	"testing"
)

// config.kafka.batchTimeout is deprecated: a values file that still sets
// it, with whatever it held, installs, and the chart passes the bridge no
// HIREBRIDGE_KAFKA_BATCH_TIMEOUT (which the bridge would only warn of).
func TestDeprecatedBatchTimeout(t *testing.T) {
	const kafka = "config: {sink: kafka, kafka: {brokers: 'kafka-0:9092', "
	for _, doc := range []string{
		kafka + "batchTimeout: 2ms}}",
		kafka + "batchTimeout: 5ms}}",
		kafka + "batchTimeout: ''}}",
		kafka + "batchTimeout: null}}",
		kafka + "batchTimeout: 5}}",
	} {
		r, err := render(t, values(t, doc))
		if err != nil {
			t.Errorf("%s: %v, want it installed", doc, err)
			continue
		}
		if v, set := r.env(t)[envPrefix+"KAFKA_BATCH_TIMEOUT"]; set {
			t.Errorf("%s: the chart sets HIREBRIDGE_KAFKA_BATCH_TIMEOUT=%q, want it unset", doc, v)
		}
	}
}
