package replay

// What became of a dead letter: the words of `hirebridge replay`'s summary
// and of the console's answers.
const (
	Published    = "published"
	WouldPublish = "would_publish"
	// AlreadyPublished: the event is on its destination already, replayed
	// before, sent again by the sender once fixed, or the same event as an
	// earlier dead letter of this run.
	AlreadyPublished = "already_published"
	Rejected         = "rejected"
	// NotAnEvent is a handshake: the handler answers it, and publishes
	// nothing.
	NotAnEvent = "not_an_event"
	// Resolved: skipped, the dead letter is marked resolved (the
	// console's mark, or `hirebridge deadletters resolve`); a run with
	// Filter.IncludeResolved replays it as any other.
	Resolved = "resolved"
	TooLarge = "too_large"
	// Refused: the broker refuses it for good (a subject the credentials
	// may not write); left, until the deployment is fixed.
	Refused = "refused"
	// Failed: a broker fault; replay stops publishing after the first, as
	// every other publish would wait out its timeout the same way.
	Failed   = "failed"
	NotTried = "not_tried"
)

// outcomeOrder is the order of the summary's columns.
var outcomeOrder = []string{Published, WouldPublish, AlreadyPublished, Rejected, NotAnEvent, Resolved, TooLarge, Refused, Failed, NotTried}
