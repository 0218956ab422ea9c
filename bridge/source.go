package bridge

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// Source is one sender of webhooks: a Hirempire workspace, or a customer
// of a team that integrates Hirempire for others. The token a request
// presents decides its source.
type Source struct {
	// Name is carried on every message (the hirebridge-source header) and
	// labels the metrics, so it is short and of a small charset.
	Name string
	// Tokens are all valid at once: a token is rotated by adding the new
	// one, changing the URL at Hirempire, then removing the old one.
	Tokens []string
	// EventSource is the CloudEvents source attribute of its events.
	EventSource string
	// Strict rejects event types that are not documented.
	Strict bool
}

// DefaultSourceName names the one source HIREBRIDGE_WEBHOOK_TOKEN makes.
const DefaultSourceName = "default"

// SplitTokens is a comma-separated list of tokens, spaces around each
// trimmed and empty ones dropped.
func SplitTokens(list string) []string {
	var out []string
	for _, t := range strings.Split(list, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// sourceName: a metric label and a header value, so no room for anything a
// dashboard or a consumer would have to escape.
var sourceName = regexp.MustCompile(events.SourceNamePattern)

// ValidateSources reports the first source that cannot work. Every token
// is unique across all sources: one token naming two sources would make a
// message's source a guess.
func ValidateSources(srcs []Source) error {
	if len(srcs) == 0 {
		return fmt.Errorf("no sources: at least one is needed")
	}
	names := map[string]bool{}
	tokens := map[string]string{}
	for i, s := range srcs {
		if !sourceName.MatchString(s.Name) {
			return fmt.Errorf("source %d: name %q must be 1 to 63 lowercase letters, digits, '_' or '-', starting with a letter or digit", i+1, s.Name)
		}
		if names[s.Name] {
			return fmt.Errorf("source %q: the name is given twice", s.Name)
		}
		names[s.Name] = true
		if len(s.Tokens) == 0 {
			return fmt.Errorf("source %q: tokens must list at least one token", s.Name)
		}
		for j, t := range s.Tokens {
			if err := validToken(t); err != nil {
				return fmt.Errorf("source %q: token %d %v", s.Name, j+1, err)
			}
			if other, dup := tokens[t]; dup {
				return fmt.Errorf("source %q: token %d is also a token of source %q; every token must be unique", s.Name, j+1, other)
			}
			tokens[t] = s.Name
		}
		if s.EventSource == "" {
			return fmt.Errorf("source %q: the CloudEvents source must not be empty", s.Name)
		}
	}
	return nil
}

// validToken's error never quotes the token: it ends up in logs.
func validToken(t string) error {
	switch {
	case len(t) < 16:
		return fmt.Errorf("must be at least 16 characters")
	case strings.ContainsAny(t, "/?#&, "):
		return fmt.Errorf("must not contain /, ?, #, &, commas or spaces, since it goes in a URL and commas separate tokens")
	}
	return nil
}

// SourceList is the sources the handler starts with: those given in
// c.Sources, or else one named default holding c.Token's tokens, with
// c.Source and c.Strict.
func (c Config) SourceList() []Source {
	if len(c.Sources) > 0 {
		return c.Sources
	}
	return []Source{{Name: DefaultSourceName, Tokens: SplitTokens(c.Token), EventSource: c.Source, Strict: c.Strict}}
}

// SourceNamed is the source of that name, for a stored message that says
// whose it was; the first source when none has that name (a message from
// before sources, or of a source since removed).
func (c Config) SourceNamed(name string) Source {
	list := c.SourceList()
	for _, s := range list {
		if s.Name == name {
			return s
		}
	}
	return list[0]
}

// sourceSet is one version of the sources, swapped whole on a reload so
// that the request path reads it without a lock.
type sourceSet struct {
	sources []Source
	tokens  tokenChecker
	// headers are each source's hirebridge-source header, built once.
	headers []sinks.Header
	fair    *fairShare
}

func newSourceSet(srcs []Source) *sourceSet {
	set := &sourceSet{sources: srcs, tokens: newTokenChecker(srcs), fair: newFairShare(len(srcs))}
	for _, s := range srcs {
		set.headers = append(set.headers, sinks.Header{Name: events.HeaderSource, Value: s.Name})
	}
	return set
}

// sourceOf is the source a request's token matched, in the set loaded when
// it was checked: a reload during the request does not change it.
type sourceOf struct {
	set *sourceSet
	idx int
}

func (s sourceOf) Name() string         { return s.set.sources[s.idx].Name }
func (s sourceOf) EventSource() string  { return s.set.sources[s.idx].EventSource }
func (s sourceOf) Strict() bool         { return s.set.sources[s.idx].Strict }
func (s sourceOf) header() sinks.Header { return s.set.headers[s.idx] }
