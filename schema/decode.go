package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// Document is a decoded JSON object. Numbers are json.Number, so their exact
// text survives to the published body.
type Document map[string]any

// Decode parses a request body into a Document, once. It rejects anything
// that is not exactly one JSON object.
func Decode(body []byte) (Document, *Rejection) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, reject(ReasonNotJSON, "", "the body is empty")
		}
		return nil, reject(ReasonNotJSON, "", "the body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, reject(ReasonNotJSON, "", "the body holds more than one JSON value")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, reject(ReasonNotObject, "", "the body is JSON but not an object")
	}
	return obj, nil
}

// Challenge returns the raw bytes of the "challenge" member, exactly as they
// appear in body, when doc has one. Hirempire's handshake fails on any change
// to the value, so it is echoed from the original bytes, never re-encoded.
func Challenge(doc Document, body []byte) (json.RawMessage, bool) {
	if _, ok := doc["challenge"]; !ok {
		return nil, false
	}
	// Only handshakes take this second pass; events never do.
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return nil, false
	}
	raw, ok := members["challenge"]
	return raw, ok
}
