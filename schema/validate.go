package schema

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// validate checks the tree against a type's rules. Every failure is
// found, and the one with the smallest JSON pointer is reported, so one
// body always gets one answer. Details name types and lengths, never the
// sender's values (which may be personal data). A valid body costs no
// allocation.
func (t *tree) validate(name string, r *rule) *Rejection {
	v := validation{t: t}
	t.path = t.path[:0]
	v.check(0, r)
	if !v.failed {
		return nil
	}
	if v.missing {
		return reject(ReasonSchema, v.pointer, "%s requires %s", name, v.pointer)
	}
	return reject(ReasonSchema, v.pointer, "%s: %s %s", name, v.pointer, v.problem)
}

type validation struct {
	t       *tree
	buf     []byte
	failed  bool
	missing bool
	pointer string
	problem string
}

func (v *validation) check(i int32, r *rule) {
	t := v.t
	n := t.nodes[i]
	if r.types != 0 {
		if got := typeOfKind(n.kind); r.types&got == 0 {
			v.fail("", false, func() string { return fmt.Sprintf("got %s, want %s", got, r.types) })
			return
		}
	}
	if r.hasConst && (n.kind != '"' || string(t.str(i)) != r.constString) {
		v.fail("", false, func() string { return "value must be " + strconv.Quote(r.constString) })
		return
	}
	switch n.kind {
	case '{':
		for _, name := range r.required {
			if m, _ := t.member(i, name); m < 0 {
				v.fail(name, true, nil)
				break
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
				v.fail("", false, func() string { return fmt.Sprintf("minLength: got %d, want %d", got, r.minLength) })
			}
		}
	}
}

// fail records a failure at the current path, or at its member called
// missing, when its pointer is the smallest so far. The pointer is
// written into a reused buffer and kept only when it is: a body failing
// at every element of a long array costs no allocation per element.
func (v *validation) fail(missing string, isMissing bool, problem func() string) {
	v.buf = v.t.appendPointer(v.buf[:0], missing, isMissing)
	if v.failed && string(v.buf) >= v.pointer {
		return
	}
	v.failed, v.pointer, v.missing = true, string(v.buf), isMissing
	if problem != nil {
		v.problem = problem()
	}
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
