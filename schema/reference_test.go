package schema

// The reference implementation: the first version of decoding and
// normalization, over a map tree and a full JSON Schema 2020-12 validator
// (santhosh-tekuri/jsonschema). The bridge runs the one-pass tree of
// tree.go and the compiled rules of rules.go instead; tests and a fuzz
// test hold the two to the same answers for any body.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Document is a decoded JSON object. Numbers are json.Number, so their exact
// text survives to the published body.
type Document map[string]any

// refDecode parses a request body into a Document in one pass that also holds
// it to I-JSON (RFC 7493): valid UTF-8, no escaped lone surrogate, no
// duplicate member name in any object, every number within an IEEE 754
// double, no \u0000, at most MaxDepth levels. Anything else is a Rejection:
// nothing is silently rewritten, so two different bodies never decode to
// the same Document.
func refDecode(body []byte) (Document, *Rejection) {
	doc, rej, _ := refDecodeMetered(body, nil)
	return doc, rej
}

// refDecodeMetered is refDecode that reports the heap the Document is about to
// take: charge is called with an estimate of the bytes allocated since its
// last call, every chargeStep bytes and once at the end. When charge
// returns an error, decoding stops and that error is returned with no
// Rejection: the body may be fine, the process just cannot afford it now.
func refDecodeMetered(body []byte, charge func(bytes int64) error) (Document, *Rejection, error) {
	p := parsers.Get().(*parser)
	defer p.release()
	// The buffer wraps body without copying it.
	p.src = *bytes.NewBuffer(body)
	p.dec.Reset(&p.src)
	p.charge = charge
	return p.document()
}

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
	src   bytes.Buffer
	dec   jsontext.Decoder
	stack []frame
	meter
}

// frame is an array or object being filled.
type frame struct {
	obj map[string]any
	arr []any
	// name is the member whose value comes next, in an object.
	name    string
	hasName bool
}

func (p *parser) release() {
	// Drop every reference to the body and the document before pooling.
	p.src = bytes.Buffer{}
	p.dec.Reset(&bytes.Buffer{})
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
			if err := p.step(); err != nil {
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
			if overflowsDouble([]byte(text)) {
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
		if err := p.step(); err != nil {
			return nil, nil, err
		}
	}
}

func (p *parser) end() *Rejection { return endOfBody(&p.dec) }

// The reference words its rejections with the bridge's own functions:
// the messages are the contract, the decoding is what is compared.
func (p *parser) ijsonRejection(problem string, args ...any) *Rejection {
	return ijsonRejection(p.dec.StackPointer(), problem, args...)
}

func (p *parser) syntaxRejection(err error) *Rejection { return syntaxRejection(err) }

// refChallenge returns the raw bytes of the "challenge" member, exactly as they
// appear in body, when doc is the handshake: a "challenge" member and no
// "event" member. An event that happens to carry a challenge is an event.
// Hirempire's handshake fails on any change to the value, so it is echoed
// from the original bytes, never re-encoded.
func refChallenge(doc Document, body []byte) (json.RawMessage, bool) {
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

// refCanonical encodes doc compactly, object keys sorted, without HTML
// escaping, so the body is what the sender meant and its hash does not
// depend on how the sender spaced or ordered it.
//
// The output is byte for byte what encoding/json's Encoder with
// SetEscapeHTML(false) writes for the same value (a fuzz test holds it to
// that), but it walks only the types the decoder produces instead of
// reflecting over each value: re-encoding was a tenth of the CPU of a
// request under load.
func refCanonical(doc Document) []byte {
	return appendValue(nil, map[string]any(doc))
}

func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		if v {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case json.Number:
		// The decoder checked the number's syntax; its text is kept as sent.
		return append(b, v...)
	case string:
		return appendString(b, v)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, e)
		}
		return append(b, ']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendValue(b, v[k])
		}
		return append(b, '}')
	default:
		// Unreachable for decoded documents; kept correct for any value.
		enc, err := json.Marshal(v)
		if err != nil {
			return append(b, "null"...)
		}
		return append(b, enc...)
	}
}

// appendString quotes s as encoding/json does without HTML escaping: the
// short escapes for \b \f \n \r \t, \u00XX for other control bytes, \ufffd
// for invalid UTF-8, and \u2028 \u2029, which JSON allows raw but
// JavaScript does not.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// refNormalize checks a decoded object against the event rules and rewrites it
// in place as the README's message contract says: event name trimmed and lowercased, timestamps
// in UTC with milliseconds, company.name filled from company.company. doc
// must not be used afterwards.
func refNormalize(doc Document, opts Options) (*Event, *Rejection) {
	rawName, ok := doc["event"].(string)
	if !ok {
		if _, present := doc["event"]; !present {
			return nil, reject(ReasonBadEvent, "/event", "the event member is missing")
		}
		return nil, reject(ReasonBadEvent, "/event", "the event member is not a string")
	}
	name, ok := NormalizeName(rawName)
	if !ok {
		return nil, reject(ReasonBadEvent, "/event",
			"%q is not a valid event name: lowercase letters, digits, '_', '-' and '.', at most %d, starting with a letter or digit, no empty dot-separated part",
			truncate(rawName, 64), MaxNameLength)
	}
	if IsDeadLetterName(name) {
		return nil, reject(ReasonBadEvent, "/event", "%q is reserved: dlq and names starting dlq. are the dead-letter topic", name)
	}
	doc["event"] = name

	// Every problem from here on is reported, not only the first.
	var problems []Problem
	ts, present := doc["timestamp"]
	var when string
	if !present {
		problems = append(problems, problem(ReasonBadTimestamp, "/timestamp", "the timestamp member is missing"))
	} else if norm, err := NormalizeTime(ts); err != nil {
		problems = append(problems, problem(ReasonBadTimestamp, "/timestamp", "the timestamp is %v", err))
	} else {
		when = norm
		doc["timestamp"] = when
	}

	if meeting, ok := doc["meeting"].(map[string]any); ok {
		if at, present := meeting["scheduled_at"]; present && at != nil {
			if norm, err := NormalizeTime(at); err != nil {
				problems = append(problems, problem(ReasonBadTimestamp, "/meeting/scheduled_at", "meeting.scheduled_at is %v", err))
			} else {
				meeting["scheduled_at"] = norm
			}
		}
	}

	if company, ok := doc["company"].(map[string]any); ok {
		// Absent or null: either way the event names no company.
		if name, hasName := company["name"]; !hasName || name == nil {
			if alias, hasAlias := company["company"]; hasAlias {
				company["name"] = alias
			}
		}
	}

	sch, known := refCatalog[name]
	switch {
	case known:
		if err := sch.Validate(map[string]any(doc)); err != nil {
			return nil, named(name, schemaRejection(name, err, problems))
		}
	case opts.Strict:
		problems = append(problems, problem(ReasonUnknownType, "/event", "%q is not a documented event type and strict mode is on", name))
	}
	if len(problems) > 0 {
		return nil, named(name, rejection(problems, 0))
	}

	body := refCanonical(doc)
	id := eventID(body)
	return &Event{
		Name:      name,
		ID:        id,
		Key:       refEntityKey(name, doc, id),
		Time:      when,
		Validated: known,
		Body:      body,
	}, nil
}

// refEntityKey names what an event is about, so that events about one
// candidate or one job share a partition and stay in order: job.id for job_*
// types; applicant.id (then meeting.id) for applicant_applied,
// cv_upload_completed and meeting_booked; for other types the first present
// of applicant.id, candidate.id, job.id, meeting.id, id; otherwise eventID.
//
// The fallback list is for other types only, as the README's message contract scopes it: a job_*
// event without a job.id is keyed by its own id, never by an applicant's:
// a key is always the entity its type is about, or no entity at all.
func refEntityKey(name string, doc Document, eventID string) string {
	paths := fallbackKeyPaths
	switch {
	case strings.HasPrefix(name, "job_"):
		paths = jobKeyPaths
	case name == "applicant_applied", name == "cv_upload_completed", name == "meeting_booked":
		paths = applicantKeyPaths
	}
	if key, ok := firstID(doc, paths); ok {
		return key
	}
	return eventID
}

func firstID(doc Document, paths [][2]string) (string, bool) {
	for _, p := range paths {
		obj := map[string]any(doc)
		if p[0] != "" {
			var ok bool
			if obj, ok = doc[p[0]].(map[string]any); !ok {
				continue
			}
		}
		// Ids are opaque strings; a number is taken by its exact text.
		switch id := obj[p[1]].(type) {
		case string:
			if id != "" {
				return id, true
			}
		case json.Number:
			return string(id), true
		}
	}
	return "", false
}

var englishPrinter = message.NewPrinter(language.English)

// schemaRejection turns a validation error into the rejection for found,
// the problems noted before validation, and every failure it holds, each
// with its JSON pointer and what is wrong there. The validator visits
// object members in map order, so the order of its failures changes from
// run to run: they are sorted by pointer, so that one body always gets one
// answer, and only the first MaxProblems in all are listed. A failure at or
// under a member found wrong before (a timestamp) is not reported again.
// The schemas use no enum keyword and the one const is the event name, so
// details never echo payload values (which may be personal data).
func schemaRejection(name string, err error, found []Problem) *Rejection {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return reject(ReasonSchema, "", "%s: %v", name, err)
	}
	var failures []Problem
	for _, f := range failureLeaves(ve) {
		at := pointer(f.loc)
		if slices.ContainsFunc(found, func(p Problem) bool { return at == p.Field || strings.HasPrefix(at, p.Field+"/") }) {
			continue
		}
		if _, ok := f.ErrorKind.(*kind.Required); ok {
			failures = append(failures, problem(ReasonSchema, at, "%s requires %s", name, at))
			continue
		}
		failures = append(failures, problem(ReasonSchema, at, "%s: %s %s", name, at, f.ErrorKind.LocalizedString(englishPrinter)))
	}
	slices.SortStableFunc(failures, func(a, b Problem) int { return strings.Compare(a.Field, b.Field) })
	listed := append(slices.Clone(found), failures[:min(len(failures), MaxProblems-len(found))]...)
	return rejection(listed, len(found)+len(failures)-len(listed))
}

// leafFailure is a failure with no causes, with the location it names.
type leafFailure struct {
	*jsonschema.ValidationError
	loc []string
}

// failureLeaves lists the failures under ve; a missing member is a
// failure at the member, one for each member missing.
func failureLeaves(ve *jsonschema.ValidationError) []leafFailure {
	if len(ve.Causes) > 0 {
		var out []leafFailure
		for _, c := range ve.Causes {
			out = append(out, failureLeaves(c)...)
		}
		return out
	}
	if req, ok := ve.ErrorKind.(*kind.Required); ok {
		out := make([]leafFailure, 0, len(req.Missing))
		for _, m := range req.Missing {
			out = append(out, leafFailure{ve, append(slices.Clone(ve.InstanceLocation), m)})
		}
		return out
	}
	return []leafFailure{{ve, ve.InstanceLocation}}
}

func pointer(tokens []string) string {
	if len(tokens) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		t = strings.ReplaceAll(t, "~", "~0")
		b.WriteString(strings.ReplaceAll(t, "/", "~1"))
	}
	return b.String()
}

// refCatalog is the catalog compiled by the full validator.
var refCatalog = func() map[string]*jsonschema.Schema {
	c := jsonschema.NewCompiler()
	entries, err := fs.ReadDir(schemaFiles, "schemas")
	if err != nil {
		panic(err)
	}
	var types []string
	for _, e := range entries {
		f, err := schemaFiles.Open("schemas/" + e.Name())
		if err != nil {
			panic(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			panic(fmt.Sprintf("schema %s: %v", e.Name(), err))
		}
		if err := c.AddResource(schemaBaseURL+e.Name(), doc); err != nil {
			panic(fmt.Sprintf("schema %s: %v", e.Name(), err))
		}
		if name := strings.TrimSuffix(e.Name(), path.Ext(e.Name())); name != "defs" {
			types = append(types, name)
		}
	}
	out := make(map[string]*jsonschema.Schema, len(types))
	for _, name := range types {
		sch, err := c.Compile(schemaBaseURL + name + ".json")
		if err != nil {
			panic(fmt.Sprintf("schema %s: %v", name, err))
		}
		out[name] = sch
	}
	return out
}()
