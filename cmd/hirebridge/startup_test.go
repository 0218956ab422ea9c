package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// startError launches the service and returns the error it stops with,
// failing the test when it starts instead.
func startError(t *testing.T, env map[string]string) string {
	t.Helper()
	svc := launch(t, env)
	select {
	case err := <-svc.done:
		// Expected: the clean-up's shutdown has nothing left to report.
		close(svc.done)
		if err == nil {
			t.Fatal("the service stopped without an error")
		}
		if strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("start-up error is more than one line: %q", err)
		}
		return err.Error()
	case <-time.After(20 * time.Second):
		t.Fatalf("the service started; logs:\n%s", svc.logs)
	}
	return ""
}

func TestStartListenerTaken(t *testing.T) {
	t.Parallel()
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	broker := natstest.Start(t)
	for _, variable := range []string{"HIREBRIDGE_HTTP_ADDR", "HIREBRIDGE_ADMIN_ADDR"} {
		env := baseEnv(t, broker.URL())
		env[variable] = held.Addr().String()
		webAddr := freeAddr(t)
		if variable == "HIREBRIDGE_ADMIN_ADDR" {
			env["HIREBRIDGE_HTTP_ADDR"] = webAddr
		}
		if msg := startError(t, env); !strings.HasPrefix(msg, variable) {
			t.Errorf("%s taken: error %q does not name it", variable, msg)
		}
		if variable == "HIREBRIDGE_ADMIN_ADDR" {
			// The webhook listener bound before the failure is released.
			l, err := net.Listen("tcp", webAddr)
			if err != nil {
				t.Errorf("the webhook address is still held after the start failed: %v", err)
			} else {
				l.Close()
			}
		}
	}
}

// An existing stream that does not capture the prefix stops the start with
// advice, rather than publishing where no consumer looks.
func TestStartStreamMismatch(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	nc, err := nats.Connect(broker.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "HIREMPIRE", Subjects: []string{"orders.>"}}); err != nil {
		t.Fatal(err)
	}
	msg := startError(t, baseEnv(t, broker.URL()))
	for _, want := range []string{"HIREMPIRE", "orders.>", "hirempire.>", "HIREBRIDGE_NATS_STREAM"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %s", msg, want)
		}
	}
}

func TestStartBrokerUnreachable(t *testing.T) {
	t.Parallel()
	env := baseEnv(t, "nats://"+freeAddr(t))
	if msg := startError(t, env); !strings.Contains(msg, "NATS") {
		t.Errorf("error %q does not say NATS is unreachable", msg)
	}
}
