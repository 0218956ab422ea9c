package natsjs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks"
)

// asClientSees is the server's error as a publisher reads it from a
// PubAck: marshalled by the server, unmarshalled by nats.go.
func asClientSees(t *testing.T, e *server.ApiError) *jetstream.APIError {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var apiErr jetstream.APIError
	if err := json.Unmarshal(b, &apiErr); err != nil {
		t.Fatal(err)
	}
	return &apiErr
}

// Every named code is checked against the server's own error of that name,
// so a code here is one the server sends, with the meaning its name says.
func TestErrorClassOfServerErrors(t *testing.T) {
	known := func(id server.ErrorIdentifier) *server.ApiError { return server.ApiErrors[id] }
	cases := []struct {
		name       string
		err        *server.ApiError
		code       jetstream.ErrorCode
		want       error
		storeFault bool
	}{
		{"message exceeds maximum", server.NewJSStreamMessageExceedsMaximumError(), codeMessageExceedsMaximum, sinks.ErrTooLarge, false},
		{"header exceeds maximum", server.NewJSStreamHeaderExceedsMaximumError(), codeHeaderExceedsMaximum, sinks.ErrTooLarge, false},
		{"store failed: message too large", server.NewJSStreamStoreFailedError(server.ErrMsgTooLarge), codeStoreFailed, sinks.ErrTooLarge, false},

		{"expected stream does not match", server.NewJSStreamNotMatchError(), codeStreamNotMatch, sinks.ErrRefused, false},
		{"sealed stream", server.NewJSStreamSealedError(), codeStreamSealed, sinks.ErrRefused, false},
		{"wrong last msg id", server.NewJSStreamWrongLastMsgIDError("a1"), codeWrongLastMsgID, sinks.ErrRefused, false},
		{"wrong last sequence", server.NewJSStreamWrongLastSequenceError(7), codeWrongLastSequence, sinks.ErrRefused, false},
		{"wrong last sequence (replicated)", known(server.JSStreamWrongLastSequenceConstantErr), codeWrongLastSequenceConstant, sinks.ErrRefused, false},
		{"expected last seq per subject invalid", known(server.JSStreamExpectedLastSeqPerSubjectInvalid), codeExpectedLastSeqPerSubjectInvalid, sinks.ErrRefused, false},
		{"message TTL invalid", known(server.JSMessageTTLInvalidErr), codeMessageTTLInvalid, sinks.ErrRefused, false},
		{"message TTL disabled", known(server.JSMessageTTLDisabledErr), codeMessageTTLDisabled, sinks.ErrRefused, false},
		{"counter disabled", known(server.JSMessageIncrDisabledErr), codeMessageIncrDisabled, sinks.ErrRefused, false},
		{"counter increment missing", known(server.JSMessageIncrMissingErr), codeMessageIncrMissing, sinks.ErrRefused, false},
		{"counter has payload", known(server.JSMessageIncrPayloadErr), codeMessageIncrPayload, sinks.ErrRefused, false},
		{"counter increment invalid", known(server.JSMessageIncrInvalidErr), codeMessageIncrInvalid, sinks.ErrRefused, false},
		{"counter broken", known(server.JSMessageCounterBrokenErr), codeMessageCounterBroken, sinks.ErrRefused, false},
		{"schedules disabled", known(server.JSMessageSchedulesDisabledErr), codeMessageSchedulesDisabled, sinks.ErrRefused, false},
		{"schedule pattern invalid", known(server.JSMessageSchedulesPatternInvalidErr), codeMessageSchedulesPatternInvalid, sinks.ErrRefused, false},
		{"schedule target invalid", known(server.JSMessageSchedulesTargetInvalidErr), codeMessageSchedulesTargetInvalid, sinks.ErrRefused, false},
		{"schedule TTL invalid", known(server.JSMessageSchedulesTTLInvalidErr), codeMessageSchedulesTTLInvalid, sinks.ErrRefused, false},
		{"schedule rollup invalid", known(server.JSMessageSchedulesRollupInvalidErr), codeMessageSchedulesRollupInvalid, sinks.ErrRefused, false},
		{"schedule source invalid", known(server.JSMessageSchedulesSourceInvalidErr), codeMessageSchedulesSourceInvalid, sinks.ErrRefused, false},
		{"scheduler invalid", known(server.JSMessageSchedulesSchedulerInvalidErr), codeMessageSchedulesSchedulerInvalid, sinks.ErrRefused, false},
		{"schedule time zone invalid", known(server.JSMessageSchedulesTimeZoneInvalidErr), codeMessageSchedulesTimeZoneInvalid, sinks.ErrRefused, false},
		{"stream source header", known(server.JSMessageSourceHdrNotAllowedErr), codeMessageSourceHdrNotAllowed, sinks.ErrRefused, false},

		{"maximum bytes exceeded", server.NewJSStreamStoreFailedError(server.ErrMaxBytes), codeStoreFailed, sinks.ErrUnavailable, true},
		{"maximum messages exceeded", server.NewJSStreamStoreFailedError(server.ErrMaxMsgs), codeStoreFailed, sinks.ErrUnavailable, true},
		{"maximum messages per subject exceeded", server.NewJSStreamStoreFailedError(server.ErrMaxMsgsPerSubject), codeStoreFailed, sinks.ErrUnavailable, true},
		{"insufficient resources", server.NewJSInsufficientResourcesError(), codeInsufficientResources, sinks.ErrUnavailable, true},
		{"storage resources exceeded", server.NewJSStorageResourcesExceededError(), codeStorageResourcesExceeded, sinks.ErrUnavailable, true},
		{"memory resources exceeded", server.NewJSMemoryResourcesExceededError(), codeMemoryResourcesExceeded, sinks.ErrUnavailable, true},
		{"account resources exceeded", server.NewJSAccountResourcesExceededError(), codeAccountResourcesExceeded, sinks.ErrUnavailable, true},
		{"JetStream not enabled", server.NewJSNotEnabledError(), codeNotEnabled, sinks.ErrUnavailable, true},
		{"JetStream not enabled for account", server.NewJSNotEnabledForAccountError(), codeNotEnabledForAccount, sinks.ErrUnavailable, true},
		{"no limits", server.NewJSNoLimitsError(), codeNoLimits, sinks.ErrUnavailable, false},
		{"cluster not available", server.NewJSClusterNotAvailError(), codeClusterNotAvailable, sinks.ErrUnavailable, false},
		{"not the leader", server.NewJSClusterNotLeaderError(), codeClusterNotLeader, sinks.ErrUnavailable, false},
		{"no peers", server.NewJSClusterNoPeersError(errors.New("insufficient resources")), codeClusterNoPeers, sinks.ErrUnavailable, false},
		{"stream offline", server.NewJSStreamOfflineError(), codeStreamOffline, sinks.ErrUnavailable, false},
		{"stream offline with reason", server.NewJSStreamOfflineReasonError(errors.New("stream is being restored")), codeStreamOfflineReason, sinks.ErrUnavailable, false},
		{"replicas out of step", server.NewJSStreamSequenceNotMatchError(), codeStreamSequenceNotMatch, sinks.ErrUnavailable, false},
		{"duplicate in process", server.NewJSStreamDuplicateMessageConflictError(), codeDuplicateMessageConflict, sinks.ErrUnavailable, false},
		{"too many requests", server.NewJSStreamTooManyRequestsError(), codeTooManyRequests, sinks.ErrUnavailable, false},
		// A code not named is taken for transient.
		{"not named: stream not found", server.NewJSStreamNotFoundError(), jetstream.JSErrCodeStreamNotFound, sinks.ErrUnavailable, false},
		{"not named: bad request", server.NewJSBadRequestError(), jetstream.JSErrCodeBadRequest, sinks.ErrUnavailable, false},
	}
	tested := map[jetstream.ErrorCode]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			apiErr := asClientSees(t, tc.err)
			if apiErr.ErrorCode != tc.code {
				t.Fatalf("the server sends err_code %d, the sink names %d", apiErr.ErrorCode, tc.code)
			}
			tested[tc.code] = true
			// As the publish future hands it over, then as Publish wraps it.
			got := classifyPublish("hirempire.job_added", apiErr)
			for _, class := range []error{sinks.ErrTooLarge, sinks.ErrRefused, sinks.ErrUnavailable, sinks.ErrClosed} {
				if errors.Is(got, class) != (class == tc.want) {
					t.Errorf("%v: errors.Is(%v) = %v", got, class, !(class == tc.want))
				}
			}
			var back *jetstream.APIError
			if !errors.As(got, &back) || back.ErrorCode != apiErr.ErrorCode || back.Code != apiErr.Code || back.Description != apiErr.Description {
				t.Errorf("%v does not carry the server's answer %+v", got, apiErr)
			}
			for _, words := range []string{"hirempire.job_added", apiErr.Description, fmt.Sprintf("err_code=%d", apiErr.ErrorCode), fmt.Sprintf("code=%d", apiErr.Code)} {
				if !strings.Contains(got.Error(), words) {
					t.Errorf("%q does not say %q", got, words)
				}
			}
			if isStoreFault(apiErr) != tc.storeFault {
				t.Errorf("isStoreFault = %v, want %v", !tc.storeFault, tc.storeFault)
			}
		})
	}
	for code := range refusedForGood {
		if !tested[code] {
			t.Errorf("refused code %d has no case", code)
		}
	}
	for code := range storeFaults {
		if !tested[code] {
			t.Errorf("store fault code %d has no case", code)
		}
	}
}

func TestErrorClassOfClientErrors(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"over the server's max_payload", nats.ErrMaxPayload, sinks.ErrTooLarge},
		{"publish permissions violation", fmt.Errorf("%w: %s", nats.ErrPermissionViolation, `Permissions Violation for Publish to "hirempire.forbidden_event"`), sinks.ErrRefused},
		{"connection closed", nats.ErrConnectionClosed, sinks.ErrClosed},
		{"no ack in time", fmt.Errorf("no ack: %w", context.DeadlineExceeded), sinks.ErrUnavailable},
		{"ack timeout", jetstream.ErrAsyncPublishTimeout, sinks.ErrUnavailable},
		{"no stream", jetstream.ErrNoStreamResponse, sinks.ErrUnavailable},
		{"disconnected", nats.ErrConnectionReconnecting, sinks.ErrUnavailable},
		{"too many pending", jetstream.ErrTooManyStalledMsgs, sinks.ErrUnavailable},
	}
	for _, tc := range cases {
		got := classifyPublish("hirempire.job_added", tc.err)
		if !errors.Is(got, tc.want) || !errors.Is(got, tc.err) {
			t.Errorf("%s: %v, want it to wrap %v and the cause", tc.name, got, tc.want)
		}
		if sinks.Permanent(got) != sinks.Permanent(tc.want) {
			t.Errorf("%s: Permanent = %v", tc.name, sinks.Permanent(got))
		}
	}
}

func TestDeniedSubject(t *testing.T) {
	violation := func(text string) error { return fmt.Errorf("%w: %s", nats.ErrPermissionViolation, text) }
	cases := []struct {
		err  error
		want string
		ok   bool
	}{
		{violation(`Permissions Violation for Publish to "hirempire.forbidden_event"`), "hirempire.forbidden_event", true},
		// The server quotes with %q; the subject reads back exactly.
		{violation(`Permissions Violation for Publish to "a.\"b\\c.é"`), `a."b\c.é`, true},
		{violation(`Permissions Violation for Publish to "hirempire.>"`), "hirempire.>", true},
		{violation(`Permissions Violation for Subscription to "hirempire.>"`), "", false},
		{violation(`Permissions Violation for Publish with Reply of "_INBOX.abc"`), "", false},
		{violation(`Permissions Violation for Publish to "unterminated`), "", false},
		{errors.New(`Permissions Violation for Publish to "hirempire.x"`), "", false},
	}
	for _, tc := range cases {
		got, ok := deniedSubject(tc.err)
		if got != tc.want || ok != tc.ok {
			t.Errorf("deniedSubject(%q) = %q, %v; want %q, %v", tc.err, got, ok, tc.want, tc.ok)
		}
	}
}

// A denial counts only for publishes sent before it, wakes every waiter,
// and is matched on the exact subject.
func TestDenialsEpochs(t *testing.T) {
	d := newDenials()
	violation := func(subject string) error {
		return fmt.Errorf("%w: Permissions Violation for Publish to %q", nats.ErrPermissionViolation, subject)
	}
	before := d.epoch()
	d.record(violation("a.b"))
	select {
	case <-before.done:
	default:
		t.Fatal("a denial did not wake the waiters of the epoch before it")
	}
	now := d.epoch()
	if err := now.deniedAfter("a.b", before.seq); !errors.Is(err, nats.ErrPermissionViolation) {
		t.Errorf("a.b sent before its denial: %v, want the denial", err)
	}
	if err := now.deniedAfter("a.b", now.seq); err != nil {
		t.Errorf("a.b sent after its denial: %v, want nil (only the server's next answer counts)", err)
	}
	for _, other := range []string{"a.c", "a.*", "a.>", "a", "a.b.c"} {
		if err := now.deniedAfter(other, before.seq); err != nil {
			t.Errorf("%s was not denied: %v", other, err)
		}
	}
	d.record(errors.New("nats: slow consumer, messages dropped"))
	if d.epoch() != now {
		t.Error("an error that is no publish denial made a new epoch")
	}

	for i := range deniedKept + 10 {
		d.record(violation(fmt.Sprintf("flood.%d", i)))
	}
	last := d.epoch()
	if n := len(last.subjects); n > deniedKept {
		t.Errorf("%d denied subjects remembered, want at most %d", n, deniedKept)
	}
	if err := last.deniedAfter(fmt.Sprintf("flood.%d", deniedKept+9), before.seq); err == nil {
		t.Error("the newest denial was pushed out")
	}
	if err := last.deniedAfter("flood.0", before.seq); err != nil {
		t.Error("the oldest denial was kept beyond the bound")
	}
}
