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

// Document is a decoded JSON object. Numbers are json.Number, so their exact
// text survives to the published body.
type Document map[string]any

// MaxDepth is the deepest nesting of arrays and objects a body may have, the
// top-level object being the first level. Consumers' parsers stop far
// earlier than the decoder's own limit (serde_json at 128, Python's
// recursion limit around 1,000), and no Hirempire event nests beyond four.
const MaxDepth = 32

// Decode parses a request body into a Document in one pass that also holds
// it to I-JSON (RFC 7493): valid UTF-8, no escaped lone surrogate, no
// duplicate member name in any object, every number within an IEEE 754
// double, no \u0000, at most MaxDepth levels. Anything else is a Rejection:
// nothing is silently rewritten, so two different bodies never decode to
// the same Document.
func Decode(body []byte) (Document, *Rejection) {
	doc, rej, _ := DecodeMetered(body, nil)
	return doc, rej
}

// DecodeMetered is Decode that reports the heap the Document is about to
// take: charge is called with an estimate of the bytes allocated since its
// last call, every chargeStep bytes and once at the end. When charge
// returns an error, decoding stops and that error is returned with no
// Rejection: the body may be fine, the process just cannot afford it now.
func DecodeMetered(body []byte, charge func(bytes int64) error) (Document, *Rejection, error) {
	p := parsers.Get().(*parser)
	defer p.release()
	// The buffer wraps body without copying it.
	p.src = *bytes.NewBuffer(body)
	p.dec.Reset(&p.src)
	p.charge = charge
	return p.document()
}

// chargeStep batches the calls to charge, so a small event costs one.
const chargeStep = 32 << 10

// Estimated heap bytes of each decoded node, from Go's layouts on 64-bit
// platforms, with the slack of slices and maps that grow as they fill. A
// test holds the estimate above what the heap really grows by.
const (
	// A string or json.Number stored in an interface: its boxed header.
	costBoxed = 16
	// An element of an []any: its interface, doubled for append's slack.
	costElement = 32
	// An object member: name header and value interface in a map slot, at
	// the table's load factor, with room for growth; and its entry in the
	// set jsontext keeps to find duplicate names.
	costMember = 176
	// An empty map, or an []any's boxed slice header.
	costContainer = 48
)

var parsers = sync.Pool{New: func() any { return new(parser) }}

// parser keeps its scratch between bodies. src is a bytes.Buffer because
// jsontext reads one in place, without copying the body.
type parser struct {
	src    bytes.Buffer
	dec    jsontext.Decoder
	stack  []frame
	charge func(int64) error
	// pending is estimated heap not yet passed to charge.
	pending int64
}

// frame is an array or object being filled.
type frame struct {
	obj map[string]any
	arr []any
	// name is the member whose value comes next, in an object.
	name    string
	hasName bool
}

var emptyBuffer bytes.Buffer

func (p *parser) release() {
	// Drop every reference to the body and the document before pooling.
	p.src = bytes.Buffer{}
	p.dec.Reset(&emptyBuffer)
	clear(p.stack)
	p.stack = p.stack[:0]
	p.charge = nil
	p.pending = 0
	parsers.Put(p)
}

func (p *parser) document() (Document, *Rejection, error) {
	if p.dec.PeekKind() != '{' {
		// Only a body that is JSON throughout is "not an object".
		if err := p.dec.SkipValue(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, reject(ReasonNotJSON, "", "the body is empty"), nil
			}
			return nil, p.syntaxRejection(err), nil
		}
		if rej := p.end(); rej != nil {
			return nil, rej, nil
		}
		return nil, reject(ReasonNotObject, "", "the body is JSON but not an object"), nil
	}
	if _, err := p.dec.ReadToken(); err != nil {
		return nil, p.syntaxRejection(err), nil
	}
	p.stack = append(p.stack, frame{obj: map[string]any{}})
	p.pending += costContainer
	for {
		tok, err := p.dec.ReadToken()
		if err != nil {
			return nil, p.syntaxRejection(err), nil
		}
		var v any
		switch tok.Kind() {
		case '{', '[':
			if p.dec.StackDepth() > MaxDepth {
				return nil, p.ijsonRejection("nesting deeper than %d arrays and objects", MaxDepth), nil
			}
			f := frame{}
			if tok.Kind() == '{' {
				f.obj = map[string]any{}
			}
			p.stack = append(p.stack, f)
			p.pending += costContainer
			if err := p.meter(); err != nil {
				return nil, nil, err
			}
			continue
		case '}', ']':
			top := p.stack[len(p.stack)-1]
			p.stack = p.stack[:len(p.stack)-1]
			if len(p.stack) == 0 {
				if rej := p.end(); rej != nil {
					return nil, rej, nil
				}
				if err := p.flush(); err != nil {
					return nil, nil, err
				}
				return top.obj, nil, nil
			}
			if top.obj != nil {
				v = top.obj
			} else if top.arr != nil {
				v = top.arr
			} else {
				v = []any{}
			}
		case '"':
			s := tok.String()
			top := &p.stack[len(p.stack)-1]
			if top.obj != nil && !top.hasName {
				if strings.IndexByte(s, 0) >= 0 {
					return nil, p.ijsonRejection(`\u0000 in a member name`), nil
				}
				top.name, top.hasName = s, true
				p.pending += costMember + int64(len(s))
				continue
			}
			if strings.IndexByte(s, 0) >= 0 {
				return nil, p.ijsonRejection(`\u0000 in a string`), nil
			}
			v = s
			p.pending += costBoxed + int64(len(s))
		case '0':
			text := tok.String()
			if overflowsDouble(text) {
				return nil, p.ijsonRejection("a number beyond the range of an IEEE 754 double"), nil
			}
			v = json.Number(text)
			p.pending += costBoxed + int64(len(text))
		case 't':
			v = true
		case 'f':
			v = false
		case 'n':
			v = nil
		}
		top := &p.stack[len(p.stack)-1]
		if top.obj != nil {
			top.obj[top.name] = v
			top.name, top.hasName = "", false
		} else {
			top.arr = append(top.arr, v)
			p.pending += costElement
		}
		if err := p.meter(); err != nil {
			return nil, nil, err
		}
	}
}

// end checks that nothing but whitespace follows the top-level value.
func (p *parser) end() *Rejection {
	switch _, err := p.dec.ReadToken(); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return p.syntaxRejection(err)
	default:
		return reject(ReasonNotJSON, "", "the body holds more than one JSON value")
	}
}

func (p *parser) meter() error {
	if p.pending < chargeStep {
		return nil
	}
	return p.flush()
}

func (p *parser) flush() error {
	if p.charge == nil || p.pending == 0 {
		p.pending = 0
		return nil
	}
	n := p.pending
	p.pending = 0
	return p.charge(n)
}

// overflowsDouble reports whether a JSON number's magnitude is beyond what
// a double holds, where JavaScript and Python read Infinity and Go fails. A
// number without an exponent and under 309 characters cannot be, so the
// events' ordinary numbers skip the conversion.
func overflowsDouble(text string) bool {
	if len(text) < 309 && !strings.ContainsAny(text, "eE") {
		return false
	}
	f, _ := strconv.ParseFloat(text, 64)
	return math.IsInf(f, 0)
}

// maxDetailPointer bounds how much of a JSON pointer a rejection quotes:
// member names are the sender's and can be long.
const maxDetailPointer = 256

// ijsonRejection rejects the value just read, naming where it is.
func (p *parser) ijsonRejection(problem string, args ...any) *Rejection {
	at := pointerText(p.dec.StackPointer())
	return reject(ReasonNotIJSON, at, problem+" at %s", append(args, at)...)
}

// syntaxRejection describes a jsontext error in the README's words. jsontext
// checks UTF-8, surrogates and duplicate names itself; its own messages
// would quote the rest of the body after a bad escape, so only the kind of
// problem and its place are kept.
func (p *parser) syntaxRejection(err error) *Rejection {
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

// Challenge returns the raw bytes of the "challenge" member, exactly as they
// appear in body, when doc is the handshake: a "challenge" member and no
// "event" member. An event that happens to carry a challenge is an event.
// Hirempire's handshake fails on any change to the value, so it is echoed
// from the original bytes, never re-encoded.
func Challenge(doc Document, body []byte) (json.RawMessage, bool) {
	if _, ok := doc["challenge"]; !ok {
		return nil, false
	}
	if _, ok := doc["event"]; ok {
		return nil, false
	}
	// Only handshakes take this second pass; events never do. Decode has
	// vouched for the body, so one name is "challenge" exactly once.
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
