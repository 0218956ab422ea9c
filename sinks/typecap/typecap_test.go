package typecap_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/typecap"
)

// On both brokers: new undocumented types are published up to the cap;
// beyond it refused for good at once, with a detail naming the variable
// and the cap, while known types, documented ones and the dead letters go
// on. A restart counts what the broker holds, so it grants nothing new;
// a raised cap admits more.
func TestCapHoldsAcrossRestarts(t *testing.T) {
	for _, b := range brokers(t) {
		t.Run(b.name, func(t *testing.T) {
			const max = 3
			s, reg := capped(b.open(t), max)
			for i := range max {
				if err := publish(t, s, message(fmt.Sprintf("new_%d", i), 0)); err != nil {
					t.Fatalf("new type %d within the cap: %v", i, err)
				}
			}
			err := publish(t, s, message("one_too_many", 0))
			var refused *typecap.RefusedError
			if !errors.Is(err, sinks.ErrRefused) || !sinks.Permanent(err) || !errors.As(err, &refused) {
				t.Fatalf("a type beyond the cap: %v, want a permanent refusal", err)
			}
			if d := err.Error(); !strings.Contains(d, typecap.Variable) || !strings.Contains(d, "3") || !strings.Contains(d, "hirempire.one_too_many") {
				t.Errorf("the refusal's detail %q names neither the variable, the cap nor the destination", d)
			}
			for _, m := range []*sinks.Message{message("new_1", 1), message(documented, 1), sinks.Undeliverable(message("one_too_many", 0), "hirempire.dlq", err)} {
				if err := publish(t, s, m); err != nil {
					t.Errorf("%s at the cap: %v", m.Topic, err)
				}
			}
			if got := gauge(t, reg, "hirebridge_undocumented_types"); got != max {
				t.Errorf("hirebridge_undocumented_types = %v, want %d", got, max)
			}
			if got := gauge(t, reg, "hirebridge_undocumented_types_refused_total"); got != 1 {
				t.Errorf("hirebridge_undocumented_types_refused_total = %v, want 1", got)
			}

			// A restart: the broker's own list, not a fresh allowance.
			again, reg := capped(b.open(t), max)
			if got := gauge(t, reg, "hirebridge_undocumented_types"); got != max {
				t.Errorf("after a restart hirebridge_undocumented_types = %v, want %d from the broker", got, max)
			}
			if err := publish(t, again, message("after_restart", 0)); !errors.Is(err, sinks.ErrRefused) {
				t.Errorf("a new type after a restart at the cap: %v, want refused", err)
			}
			if err := publish(t, again, message("new_2", 2)); err != nil {
				t.Errorf("a known type after a restart: %v", err)
			}
			// The broker holds more than a lowered cap: they stay usable.
			lowered, _ := capped(b.open(t), 1)
			if err := publish(t, lowered, message("new_0", 3)); err != nil {
				t.Errorf("a type the broker holds, beyond a lowered cap: %v", err)
			}
			// A raised cap admits the refused type.
			raised, _ := capped(b.open(t), max+1)
			if err := publish(t, raised, message("one_too_many", 0)); err != nil {
				t.Errorf("the refused type once the cap is raised: %v", err)
			}
		})
	}
}

// Concurrent first publishes of many new types: exactly the cap gets
// through, whatever the interleaving.
func TestCapUnderConcurrency(t *testing.T) {
	for _, b := range brokers(t) {
		t.Run(b.name, func(t *testing.T) {
			const max, types = 10, 60
			s, reg := capped(b.open(t), max)
			var wg sync.WaitGroup
			var mu sync.Mutex
			ok, refused := 0, 0
			for i := range types {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := publish(t, s, message(fmt.Sprintf("burst_%d", i), 0))
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						ok++
					case errors.Is(err, sinks.ErrRefused):
						refused++
					default:
						t.Errorf("burst_%d: %v", i, err)
					}
				}()
			}
			wg.Wait()
			if ok != max || refused != types-max {
				t.Errorf("%d published, %d refused; want %d and %d", ok, refused, max, types-max)
			}
			if got := gauge(t, reg, "hirebridge_undocumented_types"); got != max {
				t.Errorf("hirebridge_undocumented_types = %v, want %d", got, max)
			}
		})
	}
}
