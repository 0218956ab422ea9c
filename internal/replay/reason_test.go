package replay

import (
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/schema/events"
)

func TestCheckReason(t *testing.T) {
	t.Parallel()
	for _, ok := range append(events.DeadLetterReasons(), "") {
		if err := CheckReason(ok); err != nil {
			t.Errorf("CheckReason(%q) = %v, want nil", ok, err)
		}
	}
	err := CheckReason("bogus_reason")
	if err == nil {
		t.Fatal("CheckReason accepted bogus_reason")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "bogus_reason: not a dead-letter reason; one of: ") {
		t.Errorf("the error %q does not start with the reason and say what it is not", msg)
	}
	for _, r := range events.DeadLetterReasons() {
		if !strings.Contains(msg, r) {
			t.Errorf("the error %q does not list %s", msg, r)
		}
	}
}
