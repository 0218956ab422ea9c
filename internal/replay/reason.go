package replay

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hirebridge/hirebridge/schema/events"
)

// CheckReason accepts a reason to replay, as `hirebridge replay -reason`
// and the console's queries take it: empty (every reason) or one of the
// dead letters' reasons. A misspelt reason would otherwise match nothing
// and look like a run with nothing to replay. Errors start with reason,
// for the caller to name where it came from.
func CheckReason(reason string) error {
	valid := events.DeadLetterReasons()
	if reason == "" || slices.Contains(valid, reason) {
		return nil
	}
	return fmt.Errorf("%s: not a dead-letter reason; one of: %s", reason, strings.Join(valid, ", "))
}
