package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// MaxDepth is the deepest nesting of arrays and objects a body may have, the
// top-level object being the first level. Consumers' parsers stop far
// earlier than the decoder's own limit (serde_json at 128, Python's
// recursion limit around 1,000), and no Hirempire event nests beyond four.
const MaxDepth = 32

// chargeStep batches the calls to charge, so a small event costs one.
const chargeStep = 32 << 10

// Heap bytes charged per decoded node and per child reference: the
// arrays' element sizes, tripled for the slack and the old arrays that
// append's doubling leaves behind. A test holds the charge above what the
// heap really grows by.
const (
	costNode = 3 * 12
	costKid  = 3 * 4
	// A member name also takes a place in the set jsontext keeps to find
	// duplicate names.
	costName = 48
)

var decoders = sync.Pool{New: func() any { return new(decoder) }}

// decoder keeps jsontext's state between bodies. src is a bytes.Buffer
// because jsontext reads one in place, without copying the body.
type decoder struct {
	src bytes.Buffer
	dec jsontext.Decoder
	meter
}

// meter passes the estimated heap of what is decoded to charge, in steps.
type meter struct {
	charge func(int64) error
	// pending is estimated heap not yet passed to charge.
	pending int64
}

var emptyBuffer bytes.Buffer

// decode parses body into t in one pass that also holds it to I-JSON (RFC
// 7493): valid UTF-8, no escaped lone surrogate, no duplicate member name
// in any object, every number within an IEEE 754 double, no \u0000, at
// most MaxDepth levels. Anything else is a Rejection: nothing is silently
// rewritten, so two different bodies never decode to the same tree. When
// charge refuses the memory the tree is about to take, decoding stops with
// its error and no Rejection.
func decode(t *tree, body []byte, charge func(int64) error) (*Rejection, error) {
	d := decoders.Get().(*decoder)
	defer func() {
		// Drop every reference to the body before pooling.
		d.src = bytes.Buffer{}
		d.dec.Reset(&emptyBuffer)
		d.charge, d.pending = nil, 0
		decoders.Put(d)
	}()
	d.src = *bytes.NewBuffer(body)
	d.dec.Reset(&d.src)
	d.charge = charge
	t.src = body
	t.lineSeparators = bytes.IndexByte(body, 0xE2) >= 0
	return d.document(t)
}

func (d *decoder) document(t *tree) (*Rejection, error) {
	if d.dec.PeekKind() != '{' {
		// Only a body that is JSON throughout is "not an object".
		if err := d.dec.SkipValue(); err != nil {
			if errors.Is(err, io.EOF) {
				return reject(ReasonNotJSON, "", "the body is empty"), nil
			}
			return d.syntaxRejection(err), nil
		}
		if rej := d.end(); rej != nil {
			return rej, nil
		}
		return reject(ReasonNotObject, "", "the body is JSON but not an object"), nil
	}
	for {
		kind := d.dec.PeekKind()
		var n node
		switch kind {
		case '{', '[':
			if _, err := d.dec.ReadToken(); err != nil {
				return d.syntaxRejection(err), nil
			}
			if d.dec.StackDepth() > MaxDepth {
				return d.ijsonRejection("nesting deeper than %d arrays and objects", MaxDepth), nil
			}
			t.open = append(t.open, openContainer{node: int32(len(t.nodes)), object: kind == '{', base: len(t.pending)})
			t.nodes = append(t.nodes, node{kind: byte(kind)})
			d.pending += costNode
			if err := d.step(); err != nil {
				return nil, err
			}
			continue
		case '}', ']':
			if _, err := d.dec.ReadToken(); err != nil {
				return d.syntaxRejection(err), nil
			}
			top := t.open[len(t.open)-1]
			t.open = t.open[:len(t.open)-1]
			children := t.pending[top.base:]
			c := &t.nodes[top.node]
			c.off = int32(len(t.kids))
			t.kids = append(t.kids, children...)
			c.end = int32(len(t.kids))
			d.pending += costKid * int64(len(children))
			t.pending = t.pending[:top.base]
			if len(t.open) == 0 {
				if rej := d.end(); rej != nil {
					return rej, nil
				}
				return nil, d.flush()
			}
			t.pending = append(t.pending, top.node)
			continue
		case '"':
			raw, err := d.dec.ReadValue()
			if err != nil {
				return d.syntaxRejection(err), nil
			}
			end := int32(d.dec.InputOffset())
			n = node{kind: '"', off: end - int32(len(raw)), end: end}
			isName := t.expectsName()
			if isName {
				d.pending += costName + 2*int64(len(raw))
			}
			if bytes.IndexByte(raw, '\\') >= 0 {
				off := len(t.text)
				if t.text, err = jsontext.AppendUnquote(t.text, raw); err != nil {
					return d.syntaxRejection(err), nil
				}
				if bytes.IndexByte(t.text[off:], 0) >= 0 {
					if isName {
						return d.ijsonRejection(`\u0000 in a member name`), nil
					}
					return d.ijsonRejection(`\u0000 in a string`), nil
				}
				n = node{kind: '"', inText: true, off: int32(off), end: int32(len(t.text))}
				d.pending += 2 * int64(len(t.text)-off)
			}
		case '0':
			raw, err := d.dec.ReadValue()
			if err != nil {
				return d.syntaxRejection(err), nil
			}
			if overflowsDouble(raw) {
				return d.ijsonRejection("a number beyond the range of an IEEE 754 double"), nil
			}
			end := int32(d.dec.InputOffset())
			n = node{kind: '0', off: end - int32(len(raw)), end: end}
		case 't', 'f', 'n':
			if _, err := d.dec.ReadToken(); err != nil {
				return d.syntaxRejection(err), nil
			}
			n = node{kind: byte(kind)}
		default:
			_, err := d.dec.ReadToken()
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return d.syntaxRejection(err), nil
		}
		t.pending = append(t.pending, int32(len(t.nodes)))
		t.nodes = append(t.nodes, n)
		d.pending += costNode + costKid
		if err := d.step(); err != nil {
			return nil, err
		}
	}
}

func (d *decoder) end() *Rejection { return endOfBody(&d.dec) }

// endOfBody checks that nothing but whitespace follows the top-level value.
func endOfBody(dec *jsontext.Decoder) *Rejection {
	switch _, err := dec.ReadToken(); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return syntaxRejection(err)
	default:
		return reject(ReasonNotJSON, "", "the body holds more than one JSON value")
	}
}

// step charges what is pending once it reaches chargeStep.
func (m *meter) step() error {
	if m.pending < chargeStep {
		return nil
	}
	return m.flush()
}

func (m *meter) flush() error {
	if m.charge == nil || m.pending == 0 {
		m.pending = 0
		return nil
	}
	n := m.pending
	m.pending = 0
	return m.charge(n)
}

// overflowsDouble reports whether a JSON number's magnitude is beyond what
// a double holds, where JavaScript and Python read Infinity and Go fails. A
// number without an exponent and under 309 characters cannot be, so the
// events' ordinary numbers skip the conversion.
func overflowsDouble(text []byte) bool {
	if len(text) < 309 && bytes.IndexAny(text, "eE") < 0 {
		return false
	}
	f, _ := strconv.ParseFloat(string(text), 64)
	return math.IsInf(f, 0)
}

// maxDetailPointer bounds how much of a JSON pointer a rejection quotes:
// member names are the sender's and can be long.
const maxDetailPointer = 256

// ijsonRejection rejects the value just read, naming where it is.
func (d *decoder) ijsonRejection(problem string, args ...any) *Rejection {
	return ijsonRejection(d.dec.StackPointer(), problem, args...)
}

func ijsonRejection(p jsontext.Pointer, problem string, args ...any) *Rejection {
	at := pointerText(p)
	return reject(ReasonNotIJSON, at, problem+" at %s", append(args, at)...)
}

func (d *decoder) syntaxRejection(err error) *Rejection { return syntaxRejection(err) }

// syntaxRejection describes a jsontext error in the README's words. jsontext
// checks UTF-8, surrogates and duplicate names itself; its own messages
// would quote the rest of the body after a bad escape, so only the kind of
// problem and its place are kept.
func syntaxRejection(err error) *Rejection {
	var se *jsontext.SyntacticError
	if !errors.As(err, &se) {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return reject(ReasonNotJSON, "", "the body is not valid JSON: it ends in the middle of a value")
		}
		return reject(ReasonNotJSON, "", "the body is not valid JSON: %s", truncate(err.Error(), 120))
	}
	at := pointerText(se.JSONPointer)
	msg := se.Err.Error()
	switch {
	case errors.Is(se.Err, jsontext.ErrDuplicateName):
		return reject(ReasonNotIJSON, at, "a duplicate member name at %s (byte %d)", at, se.ByteOffset)
	case msg == "invalid UTF-8":
		return reject(ReasonNotIJSON, at, "invalid UTF-8 in a string at %s (byte %d)", at, se.ByteOffset)
	case strings.HasPrefix(msg, "invalid surrogate pair"):
		return reject(ReasonNotIJSON, at, `an escaped lone surrogate (\ud800 to \udfff without its pair) in a string at %s (byte %d)`, at, se.ByteOffset)
	case errors.Is(se.Err, io.ErrUnexpectedEOF):
		return reject(ReasonNotJSON, "", "the body is not valid JSON: it ends in the middle of a value")
	}
	return reject(ReasonNotJSON, "", "the body is not valid JSON: %s at byte %d", truncate(msg, 120), se.ByteOffset)
}

// pointerText is a JSON pointer fit for a detail and a header line: the
// sender's member names may hold control characters or invalid UTF-8.
func pointerText(p jsontext.Pointer) string {
	s := string(p)
	if s == "" {
		return "/"
	}
	s = strings.ToValidUTF8(truncate(s, maxDetailPointer), "\ufffd")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// challengeValue returns the raw bytes of the top-level "challenge" member,
// exactly as they appear in body: Hirempire's handshake fails on any
// change to the value, so it is echoed from the original bytes, never
// re-encoded. Only handshakes take this second pass; events never do.
func challengeValue(body []byte) (json.RawMessage, bool) {
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	if _, err := dec.ReadToken(); err != nil {
		return nil, false
	}
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, false
		}
		name := tok.String()
		raw, err := dec.ReadValue()
		if err != nil {
			return nil, false
		}
		if name == "challenge" {
			return json.RawMessage(raw), true
		}
	}
	return nil, false
}
