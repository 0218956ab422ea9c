package schema

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"
	"sync"
)

// tree is a decoded body as flat arrays rather than maps and interfaces:
// one node per value, children as index ranges, strings as ranges of the
// body itself. Normalization, validation and the canonical encoding all
// read it in place, and a pooled tree is reused, so an event costs a
// handful of allocations instead of one per value.
type tree struct {
	src []byte
	// lineSeparators is whether src holds the byte 0xE2 anywhere, and so
	// perhaps U+2028 or U+2029, which the canonical encoding escapes.
	lineSeparators bool
	// nodes[0] is the top-level object.
	nodes []node
	// kids holds each container's children contiguously: an object's as
	// (name, value) pairs of node indices, an array's as value indices.
	kids []int32
	// text holds strings that differ from their bytes in src: those with
	// escapes, decoded, and values normalization replaced.
	text []byte

	// Scratch, kept between bodies.
	pending []int32 // children of the open containers, innermost last
	open    []openContainer
	sorting []member // one object's members while sorting them
	path    []step   // where validation is, for a failure's pointer
	out     []byte   // the canonical encoding before its copy
}

// node is one JSON value. For strings, off and end frame the raw value in
// src, quotes included, unless inText, when the decoded bytes are
// text[off:end]. For numbers they frame the number's text in src. For
// arrays and objects they frame the children in kids.
type node struct {
	off, end int32
	kind     byte // '{', '[', '"', '0' (number), 't', 'f', 'n'
	inText   bool
}

type openContainer struct {
	node   int32
	object bool
	// base is where the container's children start in pending.
	base int
}

// step is one token of a JSON pointer: a member name node, or an index.
type step struct {
	name  int32 // -1 for an array index
	index int
}

// maxPooledNodes keeps a tree that a huge body grew from being pooled and
// held: documented events have about a hundred nodes.
const maxPooledNodes = 4096

var trees = sync.Pool{New: func() any { return new(tree) }}

func getTree() *tree { return trees.Get().(*tree) }

func (t *tree) release() {
	if cap(t.nodes) > maxPooledNodes || cap(t.text) > 64<<10 || cap(t.out) > 64<<10 {
		return
	}
	t.src = nil
	t.nodes = t.nodes[:0]
	t.kids = t.kids[:0]
	t.text = t.text[:0]
	t.pending = t.pending[:0]
	t.open = t.open[:0]
	t.sorting = t.sorting[:0]
	t.path = t.path[:0]
	t.out = t.out[:0]
	trees.Put(t)
}

// expectsName reports whether the next value read is a member name: the
// innermost open container is an object with as many names as values.
func (t *tree) expectsName() bool {
	if len(t.open) == 0 {
		return false
	}
	top := &t.open[len(t.open)-1]
	return top.object && (len(t.pending)-top.base)%2 == 0
}

// str returns a string node's decoded bytes.
func (t *tree) str(i int32) []byte {
	n := &t.nodes[i]
	if n.inText {
		return t.text[n.off:n.end]
	}
	return t.src[n.off+1 : n.end-1]
}

// number returns a number node's text.
func (t *tree) number(i int32) []byte {
	n := &t.nodes[i]
	return t.src[n.off:n.end]
}

// members returns an object's (name, value) pairs.
func (t *tree) members(obj int32) []int32 {
	n := &t.nodes[obj]
	return t.kids[n.off:n.end]
}

// member finds the value of the member called name, and where the pair
// is in kids; -1 when absent.
func (t *tree) member(obj int32, name string) (value int32, at int32) {
	n := &t.nodes[obj]
	for k := n.off; k < n.end; k += 2 {
		if string(t.str(t.kids[k])) == name {
			return t.kids[k+1], k
		}
	}
	return -1, -1
}

// memberOf finds obj's parent.name, or obj's name when parent is empty;
// -1 when absent.
func (t *tree) memberOf(obj int32, parent, name string) int32 {
	if parent != "" {
		p, _ := t.member(obj, parent)
		if p < 0 || t.nodes[p].kind != '{' {
			return -1
		}
		obj = p
	}
	v, _ := t.member(obj, name)
	return v
}

// setString replaces the value at kids[at+1] by a new string node holding s.
func (t *tree) setString(at int32, s string) {
	t.kids[at+1] = t.addString(s)
}

// addString appends a string node holding s, decoded.
func (t *tree) addString(s string) int32 {
	off := int32(len(t.text))
	t.text = append(t.text, s...)
	t.nodes = append(t.nodes, node{kind: '"', inText: true, off: off, end: int32(len(t.text))})
	return int32(len(t.nodes) - 1)
}

// addMember gives obj one more member, name with the node value: its
// children are copied to the end of kids with the new pair after them.
func (t *tree) addMember(obj int32, name string, value int32) {
	nameNode := t.addString(name)
	n := &t.nodes[obj]
	start := int32(len(t.kids))
	t.kids = append(t.kids, t.kids[n.off:n.end]...)
	t.kids = append(t.kids, nameNode, value)
	n.off, n.end = start, int32(len(t.kids))
}

// member is an object member while its object is sorted: prefix holds
// the name's first eight bytes, big-endian, so most comparisons are one
// integer comparison.
type member struct {
	prefix      uint64
	name, value int32
}

// smallObject is where sortMembers switches from insertion sort to
// pdqsort.
const smallObject = 24

func (t *tree) less(a, b member) bool {
	if a.prefix != b.prefix {
		return a.prefix < b.prefix
	}
	return bytes.Compare(t.str(a.name), t.str(b.name)) < 0
}

// sortMembers puts every object's members in the order encoding/json
// writes map keys, by their decoded bytes, in place: validation then
// walks a type's properties beside them, and the canonical encoding
// writes them as they are.
func (t *tree) sortMembers() {
	for i := range t.nodes {
		n := t.nodes[i]
		if n.kind != '{' || n.end-n.off < 4 {
			continue
		}
		pairs := t.kids[n.off:n.end]
		ms := t.sorting[:0]
		for k := 0; k < len(pairs); k += 2 {
			name := t.str(pairs[k])
			var prefix [8]byte
			copy(prefix[:], name)
			ms = append(ms, member{binary.BigEndian.Uint64(prefix[:]), pairs[k], pairs[k+1]})
		}
		if len(ms) <= smallObject {
			// Insertion sort, the comparison inline: the events' objects
			// have a handful of members.
			for k := 1; k < len(ms); k++ {
				for j := k; j > 0 && t.less(ms[j], ms[j-1]); j-- {
					ms[j], ms[j-1] = ms[j-1], ms[j]
				}
			}
		} else {
			slices.SortFunc(ms, func(a, b member) int {
				if a.prefix != b.prefix {
					return cmp.Compare(a.prefix, b.prefix)
				}
				return bytes.Compare(t.str(a.name), t.str(b.name))
			})
		}
		for k, m := range ms {
			pairs[2*k], pairs[2*k+1] = m.name, m.value
		}
		t.sorting = ms
	}
}
