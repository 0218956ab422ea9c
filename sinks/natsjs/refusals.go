package natsjs

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks"
)

// JetStream answers a publish it will not store with an API error whose
// err_code says why (nats-server's server/errors.json). Some of those
// reasons hold for this one message whatever is retried, so retrying it
// only holds the sender (or the spool) back; the others pass with time or
// an operator's fix, and the sender should retry. A code not named here is
// taken for transient: retrying what could have been stored loses nothing,
// while refusing it for good would send a storable event to the dead
// letters.

// Too large: the message, as it is, never fits.
const (
	// codeMessageExceedsMaximum (JSStreamMessageExceedsMaximumErr): over
	// the stream's max_msg_size or the server's max_payload.
	codeMessageExceedsMaximum jetstream.ErrorCode = 10054
	// codeHeaderExceedsMaximum (JSStreamHeaderExceedsMaximumErr): headers
	// over 64 KiB.
	codeHeaderExceedsMaximum jetstream.ErrorCode = 10097
)

// Refused for good: this message, with these headers, on this stream,
// never passes; other messages may.
const (
	// codeStreamNotMatch (JSStreamNotMatchErr): the subject is captured by
	// another stream than the Nats-Expected-Stream the sink sets.
	codeStreamNotMatch jetstream.ErrorCode = 10060
	// codeStreamSealed (JSStreamSealedErr): a sealed stream takes nothing
	// more.
	codeStreamSealed jetstream.ErrorCode = 10109
	// codeWrongLastMsgID, codeWrongLastSequence,
	// codeWrongLastSequenceConstant and codeExpectedLastSeqPerSubjectInvalid
	// (JSStreamWrongLastMsgIDErrF, JSStreamWrongLastSequenceErrF,
	// JSStreamWrongLastSequenceConstantErr,
	// JSStreamExpectedLastSeqPerSubjectInvalid): a Nats-Expected-Last-*
	// header that does not hold; resending the same header never makes it
	// hold.
	codeWrongLastMsgID                   jetstream.ErrorCode = 10070
	codeWrongLastSequence                jetstream.ErrorCode = 10071
	codeWrongLastSequenceConstant        jetstream.ErrorCode = 10164
	codeExpectedLastSeqPerSubjectInvalid jetstream.ErrorCode = 10193
	// codeMessageTTLInvalid and codeMessageTTLDisabled
	// (JSMessageTTLInvalidErr, JSMessageTTLDisabledErr): a Nats-TTL header
	// the stream does not take.
	codeMessageTTLInvalid  jetstream.ErrorCode = 10165
	codeMessageTTLDisabled jetstream.ErrorCode = 10166
	// codeMessageIncr* and codeMessageCounterBroken (JSMessageIncr*Err,
	// JSMessageCounterBrokenErr): a counter stream, which takes only
	// Nats-Incr messages, or a Nats-Incr header on a stream without
	// counters.
	codeMessageIncrDisabled  jetstream.ErrorCode = 10168
	codeMessageIncrMissing   jetstream.ErrorCode = 10169
	codeMessageIncrPayload   jetstream.ErrorCode = 10170
	codeMessageIncrInvalid   jetstream.ErrorCode = 10171
	codeMessageCounterBroken jetstream.ErrorCode = 10172
	// codeMessageSchedules* (JSMessageSchedules*Err): Nats-Schedule
	// headers the stream does not take.
	codeMessageSchedulesDisabled         jetstream.ErrorCode = 10188
	codeMessageSchedulesPatternInvalid   jetstream.ErrorCode = 10189
	codeMessageSchedulesTargetInvalid    jetstream.ErrorCode = 10190
	codeMessageSchedulesTTLInvalid       jetstream.ErrorCode = 10191
	codeMessageSchedulesRollupInvalid    jetstream.ErrorCode = 10192
	codeMessageSchedulesSourceInvalid    jetstream.ErrorCode = 10203
	codeMessageSchedulesSchedulerInvalid jetstream.ErrorCode = 10212
	codeMessageSchedulesTimeZoneInvalid  jetstream.ErrorCode = 10223
	// codeMessageSourceHdrNotAllowed (JSMessageSourceHdrNotAllowedErr): a
	// Nats-Stream-Source header, which only the server may set.
	codeMessageSourceHdrNotAllowed jetstream.ErrorCode = 10227
)

// Transient: the stream, its server or its cluster cannot store now. The
// store faults among them stop every publish, so fault.go remembers them.
const (
	// codeStoreFailed (JSStreamStoreFailedF): the stream's limits reached
	// with discard new ("maximum bytes exceeded", "maximum messages
	// exceeded", "maximum messages per subject exceeded") or its store
	// failed. One description is a refusal for good instead:
	// storeFailedTooLarge.
	codeStoreFailed jetstream.ErrorCode = 10077
	// codeInsufficientResources (JSInsufficientResourcesErr): the server's
	// own JetStream limits reached.
	codeInsufficientResources jetstream.ErrorCode = 10023
	// codeStorageResourcesExceeded, codeMemoryResourcesExceeded and
	// codeAccountResourcesExceeded (JSStorageResourcesExceededErr,
	// JSMemoryResourcesExceededErr, JSAccountResourcesExceededErr): the
	// account's store is full.
	codeStorageResourcesExceeded jetstream.ErrorCode = 10047
	codeMemoryResourcesExceeded  jetstream.ErrorCode = 10028
	codeAccountResourcesExceeded jetstream.ErrorCode = 10002
	// codeNotEnabled and codeNotEnabledForAccount (JSNotEnabledErr,
	// JSNotEnabledForAccountErr): JetStream is off, such as after the
	// server disabled it on a store error.
	codeNotEnabled           = jetstream.JSErrCodeJetStreamNotEnabled           // 10076
	codeNotEnabledForAccount = jetstream.JSErrCodeJetStreamNotEnabledForAccount // 10039
	// codeNoLimits (JSNoLimitsErr): the account has no JetStream limits for
	// the stream's tier: the operator's to fix.
	codeNoLimits jetstream.ErrorCode = 10120
	// codeClusterNotAvailable, codeClusterNotLeader and codeClusterNoPeers
	// (JSClusterNotAvailErr, JSClusterNotLeaderErr, JSClusterNoPeersErrF):
	// a cluster electing a leader or short of peers.
	codeClusterNotAvailable jetstream.ErrorCode = 10008
	codeClusterNotLeader    jetstream.ErrorCode = 10009
	codeClusterNoPeers      jetstream.ErrorCode = 10005
	// codeStreamOffline and codeStreamOfflineReason (JSStreamOfflineErr,
	// JSStreamOfflineReasonErrF): the stream is not running on its server.
	codeStreamOffline       jetstream.ErrorCode = 10118
	codeStreamOfflineReason jetstream.ErrorCode = 10194
	// codeStreamSequenceNotMatch (JSStreamSequenceNotMatchErr): a
	// replicated stream's followers out of step.
	codeStreamSequenceNotMatch jetstream.ErrorCode = 10063
	// codeDuplicateMessageConflict (JSStreamDuplicateMessageConflict): the
	// same Nats-Msg-Id is being stored now; a retry is answered duplicate.
	codeDuplicateMessageConflict jetstream.ErrorCode = 10158
	// codeTooManyRequests (JSStreamTooManyRequests): the stream sheds load.
	codeTooManyRequests jetstream.ErrorCode = 10167
)

// storeFailedTooLarge is the description of a codeStoreFailed answer that
// means the file store cannot hold a record this big (over 32 MiB), which
// no retry changes (nats-server's ErrMsgTooLarge).
const storeFailedTooLarge = "message too large"

// refusedForGood are the codes answered with sinks.ErrRefused.
var refusedForGood = map[jetstream.ErrorCode]bool{
	codeStreamNotMatch:                   true,
	codeStreamSealed:                     true,
	codeWrongLastMsgID:                   true,
	codeWrongLastSequence:                true,
	codeWrongLastSequenceConstant:        true,
	codeExpectedLastSeqPerSubjectInvalid: true,
	codeMessageTTLInvalid:                true,
	codeMessageTTLDisabled:               true,
	codeMessageIncrDisabled:              true,
	codeMessageIncrMissing:               true,
	codeMessageIncrPayload:               true,
	codeMessageIncrInvalid:               true,
	codeMessageCounterBroken:             true,
	codeMessageSchedulesDisabled:         true,
	codeMessageSchedulesPatternInvalid:   true,
	codeMessageSchedulesTargetInvalid:    true,
	codeMessageSchedulesTTLInvalid:       true,
	codeMessageSchedulesRollupInvalid:    true,
	codeMessageSchedulesSourceInvalid:    true,
	codeMessageSchedulesSchedulerInvalid: true,
	codeMessageSchedulesTimeZoneInvalid:  true,
	codeMessageSourceHdrNotAllowed:       true,
}

// storeFaults are the transient codes that stop every publish to the
// stream, not just this one: fault.go answers publishes at once while they
// last.
var storeFaults = map[jetstream.ErrorCode]bool{
	codeStoreFailed:              true,
	codeInsufficientResources:    true,
	codeStorageResourcesExceeded: true,
	codeMemoryResourcesExceeded:  true,
	codeAccountResourcesExceeded: true,
	codeNotEnabled:               true,
	codeNotEnabledForAccount:     true,
}

// classifyPublish is err, from a publish to topic, wrapped in the sinks
// error the caller acts on: ErrTooLarge or ErrRefused when no retry of this
// message passes, ErrClosed after the connection was closed, ErrUnavailable
// otherwise. err stays wrapped as well, so the broker's own words (a
// *jetstream.APIError's description, code and err_code, or the server's
// permissions violation) reach whoever shows or stores the reason.
func classifyPublish(topic string, err error) error {
	return fmt.Errorf("publishing %s: %w: %w", topic, errorClass(err), err)
}

// errorClass is the sinks error err belongs to.
func errorClass(err error) error {
	if apiErr, ok := apiError(err); ok {
		switch {
		case apiErr.ErrorCode == codeMessageExceedsMaximum, apiErr.ErrorCode == codeHeaderExceedsMaximum,
			apiErr.ErrorCode == codeStoreFailed && strings.Contains(apiErr.Description, storeFailedTooLarge):
			return sinks.ErrTooLarge
		case refusedForGood[apiErr.ErrorCode]:
			return sinks.ErrRefused
		}
		return sinks.ErrUnavailable
	}
	switch {
	case errors.Is(err, nats.ErrMaxPayload):
		// Refused by the client before sending: larger than the server's
		// max_payload.
		return sinks.ErrTooLarge
	case errors.Is(err, nats.ErrPermissionViolation):
		// The credentials may not publish to the subject (denied.go).
		return sinks.ErrRefused
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, jetstream.ErrJetStreamPublisherClosed):
		// The second: acks still awaited when Close gave up (close.go).
		return sinks.ErrClosed
	}
	return sinks.ErrUnavailable
}

// isStoreFault is an answer saying the stream cannot store any message
// now: limits reached, resources exhausted, a failed store, JetStream off.
func isStoreFault(err error) bool {
	apiErr, ok := apiError(err)
	return ok && storeFaults[apiErr.ErrorCode] && errorClass(err) == sinks.ErrUnavailable
}

// apiError is the JetStream API error err carries, if any.
func apiError(err error) (*jetstream.APIError, bool) {
	var apiErr *jetstream.APIError
	return apiErr, errors.As(err, &apiErr)
}
