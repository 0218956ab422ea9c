package events

import (
	"crypto/sha256"
	"encoding/hex"
)

// ContentID is the first 128 bits of the SHA-256 of b, in hex: an event's
// id is the ContentID of its published (canonical) body, so a consumer may
// check a message's id against its body, and a dead letter's id ends with
// the ContentID of its body. Ample against collisions, short enough for a
// header and a log line.
func ContentID(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}
