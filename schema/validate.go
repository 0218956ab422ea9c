package schema

import (
	"bytes"
	"slices"
	"strconv"
	"unicode/utf8"
)

// validate checks the tree against a type's rules. It returns nil when
// there is no problem: none found before (the timestamps') and no schema
// failure. Otherwise the rejection lists those found first, then the
// schema failures with the smallest JSON pointers, in pointer order, up
// to MaxProblems in all, and counts the rest: every failure is found, so
// one body always gets one answer. Details name types and lengths, never
// the sender's values (which may be personal data). A valid body costs no
// allocation.
func (t *tree) validate(name string, r *rule, found []Problem) *Rejection {
	v := validation{t: t, found: found, room: MaxProblems - len(found)}
	t.path = t.path[:0]
	v.check(0, r)
	if v.failures == 0 && len(found) == 0 {
		return nil
	}
	slices.SortFunc(v.kept, func(a, b failure) int { return bytes.Compare(a.pointer, b.pointer) })
	problems := make([]Problem, 0, len(found)+len(v.kept))
	problems = append(problems, found...)
	for _, f := range v.kept {
		problems = append(problems, f.problem(name))
	}
	return rejection(problems, len(found)+v.failures-len(problems))
}

type validation struct {
	t *tree
	// found are the problems noted before validation: a failure at or
	// under one of their members is the same problem again (a timestamp
	// left unnormalized fails its type too).
	found []Problem
	// kept holds the failures with the smallest pointers so far, at most
	// room of them; largest is the index of the one to give way next.
	kept    []failure
	room    int
	largest int
	// failures counts every failure, kept or not.
	failures int
	// buf is the pointer of the failure at hand.
	buf []byte
}

// failure is what it takes to word a schema failure, so that only the
// failures kept are worded.
type failure struct {
	pointer []byte
	kind    failureKind
	// gotType and wantType are for wrongType; got and want, lengths in
	// runes, for tooShort.
	gotType, wantType typeSet
	got, want         int
	constant          string
}

type failureKind uint8

const (
	missingMember failureKind = iota
	wrongType
	notConstant
	tooShort
)

func (f *failure) problem(name string) Problem {
	at := string(f.pointer)
	var detail string
	switch f.kind {
	case missingMember:
		detail = name + " requires " + at
	case wrongType:
		detail = name + ": " + at + " got " + f.gotType.String() + ", want " + f.wantType.String()
	case notConstant:
		detail = name + ": " + at + " value must be " + strconv.Quote(f.constant)
	default:
		detail = name + ": " + at + " minLength: got " + strconv.Itoa(f.got) + ", want " + strconv.Itoa(f.want)
	}
	return Problem{Reason: ReasonSchema, Field: at, Detail: detail}
}

func (v *validation) check(i int32, r *rule) {
	t := v.t
	n := t.nodes[i]
	if r.types != 0 {
		if got := typeOfKind(n.kind); r.types&got == 0 {
			v.fail("", failure{kind: wrongType, gotType: got, wantType: r.types})
			return
		}
	}
	if r.hasConst && (n.kind != '"' || string(t.str(i)) != r.constString) {
		v.fail("", failure{kind: notConstant, constant: r.constString})
		return
	}
	switch n.kind {
	case '{':
		for _, name := range r.required {
			if m, _ := t.member(i, name); m < 0 {
				v.fail(name, failure{kind: missingMember})
			}
		}
		// Members and properties are both sorted by name: one merge.
		pairs := t.kids[n.off:n.end]
		for k, p := 0, 0; k < len(pairs) && p < len(r.props); {
			// Comparisons of a converted []byte copy nothing.
			switch name := t.str(pairs[k]); {
			case string(name) < r.props[p].name:
				k += 2
			case string(name) > r.props[p].name:
				p++
			default:
				t.path = append(t.path, step{name: pairs[k]})
				v.check(pairs[k+1], r.props[p].rule)
				t.path = t.path[:len(t.path)-1]
				k += 2
				p++
			}
		}
	case '[':
		if r.items == nil {
			return
		}
		for k, e := range t.kids[n.off:n.end] {
			t.path = append(t.path, step{name: -1, index: k})
			v.check(e, r.items)
			t.path = t.path[:len(t.path)-1]
		}
	case '"':
		if r.minLength >= 0 {
			if got := utf8.RuneCount(t.str(i)); got < r.minLength {
				v.fail("", failure{kind: tooShort, got: got, want: r.minLength})
			}
		}
	}
}

// fail notes a failure at the current path, or at its member called
// member when f is a missing member, and keeps it while its pointer is
// among the room smallest so far. The pointer is written into a reused
// buffer and copied only when kept, into the buffer of the failure it
// replaces once all room is taken: a body failing at every element of a
// long array costs no allocation per element (a pointer string per
// failure was a bug), and at most room failures are held or worded.
func (v *validation) fail(member string, f failure) {
	v.buf = v.t.appendPointer(v.buf[:0], member, f.kind == missingMember)
	if v.reported(v.buf) {
		return
	}
	v.failures++
	switch {
	case v.room <= 0:
		return
	case len(v.kept) < v.room:
		if v.kept == nil {
			v.kept = make([]failure, 0, v.room)
		}
		f.pointer = bytes.Clone(v.buf)
		v.kept = append(v.kept, f)
	case bytes.Compare(v.buf, v.kept[v.largest].pointer) < 0:
		f.pointer = append(v.kept[v.largest].pointer[:0], v.buf...)
		v.kept[v.largest] = f
	default:
		return
	}
	if len(v.kept) == v.room {
		v.largest = 0
		for k := range v.kept {
			if bytes.Compare(v.kept[k].pointer, v.kept[v.largest].pointer) > 0 {
				v.largest = k
			}
		}
	}
}

// reported is whether pointer is at or under a problem found before
// validation.
func (v *validation) reported(pointer []byte) bool {
	for _, p := range v.found {
		at := p.Field
		if len(pointer) >= len(at) && string(pointer[:len(at)]) == at && (len(pointer) == len(at) || pointer[len(at)] == '/') {
			return true
		}
	}
	return false
}

// appendPointer renders the validation path as a JSON pointer, with one
// more member name when extra is set.
func (t *tree) appendPointer(b []byte, last string, extra bool) []byte {
	if len(t.path) == 0 && !extra {
		return append(b, '/')
	}
	for _, s := range t.path {
		b = append(b, '/')
		if s.name < 0 {
			b = strconv.AppendInt(b, int64(s.index), 10)
			continue
		}
		b = appendPointerToken(b, t.str(s.name))
	}
	if extra {
		b = append(b, '/')
		b = appendPointerToken(b, []byte(last))
	}
	return b
}

// appendPointerToken escapes ~ and / as RFC 6901 says.
func appendPointerToken(b, tok []byte) []byte {
	for _, c := range tok {
		switch c {
		case '~':
			b = append(b, '~', '0')
		case '/':
			b = append(b, '~', '1')
		default:
			b = append(b, c)
		}
	}
	return b
}
