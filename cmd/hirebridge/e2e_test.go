package main

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// machineNATS is the NATS server this end-to-end test needs: the one a
// developer's machine (and CI) runs on the default port, with JetStream.
const machineNATS = "nats://127.0.0.1:4222"

// TestEndToEndMachineNATS runs the service against the machine's NATS
// server, as a deployment would against an external one. Each run uses a
// stream and prefix of its own, so runs never see each other's events, and
// removes its stream at the end.
//
// Not parallel: it uses the machine's server on 127.0.0.1:4222.
func TestEndToEndMachineNATS(t *testing.T) {
	nc, err := nats.Connect(machineNATS, nats.Timeout(time.Second), nats.MaxReconnects(0))
	if err != nil {
		t.Skipf("needs a NATS server at %s: %v", machineNATS, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		t.Skipf("needs JetStream on the NATS server at %s: %v", machineNATS, err)
	}

	suffix := strings.ToLower(rand.Text()[:10])
	stream, prefix := "HB_E2E_"+strings.ToUpper(suffix), "e2e"+suffix
	// Registered before the service starts, so it runs after the service
	// stopped.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := js.DeleteStream(ctx, stream); err != nil {
			t.Errorf("removing stream %s: %v", stream, err)
		}
	})

	env := baseEnv(t, machineNATS)
	env["HIREBRIDGE_NATS_STREAM"] = stream
	env["HIREBRIDGE_TOPIC_PREFIX"] = prefix
	svc := startService(t, env)
	ids := postExamples(t, svc, machineNATS, stream, prefix)

	r := mustPost(t, svc.webhookURL(), example(t, "job_activated.json"))
	if r.Body.Status != "duplicate" || r.Body.ID != ids["job_activated"] {
		t.Errorf("resend: %d %s, want a duplicate of %s", r.Status, r.Raw, ids["job_activated"])
	}
}
