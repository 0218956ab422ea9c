// Command naivekafka is the load test's hand-written Kafka bridge: what a
// user might write by hand with kafka-go. It decodes the body into a map,
// writes it as it came with one synchronous WriteMessages per request
// (acks=all, batches of concurrent requests closed after 1 ms), and answers
// 200: no token, no validation, no event id, no dedup, no retry of its own
// beyond kafka-go's, no dead letters. Its topic has 3 partitions, as the
// topics hirebridge creates by default.
//
//	naivekafka LISTEN_ADDR BROKER_ADDR
package main

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"os"
	"time"

	kafka "github.com/segmentio/kafka-go"
)

const topic = "naive.applicant_applied"

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: naivekafka LISTEN_ADDR BROKER_ADDR")
	}
	addr, broker := os.Args[1], os.Args[2]
	client := &kafka.Client{Addr: kafka.TCP(broker), Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: 3, ReplicationFactor: 1}}})
	if err != nil {
		log.Fatal(err)
	}
	if err := res.Errors[topic]; err != nil && err != kafka.TopicAlreadyExists {
		log.Fatal(err)
	}
	w := &kafka.Writer{
		Addr:         kafka.TCP(broker),
		Topic:        topic,
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: time.Millisecond,
	}
	http.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		var event map[string]any
		if err := json.Unmarshal(body, &event); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		if err := w.WriteMessages(r.Context(), kafka.Message{Value: body}); err != nil {
			http.Error(rw, err.Error(), http.StatusServiceUnavailable)
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		_, _ = rw.Write([]byte(`{"status":"published"}`))
	})
	log.Fatal(http.ListenAndServe(addr, nil))
}
