package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/binding/spec"
)

// ceMessage is the CloudEvents Go SDK's binding.Message over one received
// broker message in binary content mode: the part of sdk-go's NATS and
// Kafka protocol modules a consumer uses, written here because those
// modules are not available to this build. It follows the protocol
// bindings, not the bridge's code: on NATS (binding 1.0.3) every ce-
// header is an attribute or an extension, its value percent-decoded; on
// Kafka ce_ headers are attributes as they are, and content-type is
// datacontenttype.
type ceMessage struct {
	versions *spec.Versions
	headers  []ceHeader
	// contentType names the header that carries datacontenttype besides
	// the prefixed attributes; empty where the binding names none.
	contentType string
	percent     bool
	body        []byte
}

type ceHeader struct{ name, value string }

var (
	_ binding.Message               = (*ceMessage)(nil)
	_ binding.MessageMetadataReader = (*ceMessage)(nil)
)

func natsCEMessage(headers map[string][]string, body []byte) *ceMessage {
	m := &ceMessage{versions: spec.WithPrefix("ce-"), percent: true, body: body}
	for name, values := range headers {
		for _, v := range values {
			m.headers = append(m.headers, ceHeader{name, v})
		}
	}
	return m
}

func kafkaCEMessage(headers []ceHeader, body []byte) *ceMessage {
	return &ceMessage{versions: spec.WithPrefix("ce_"), headers: headers, contentType: "content-type", body: body}
}

// version is the message's CloudEvents version, nil when it carries no
// specversion (a dead letter): then it is no CloudEvent.
func (m *ceMessage) version() spec.Version {
	for _, h := range m.headers {
		if strings.EqualFold(h.name, m.versions.PrefixedSpecVersionName()) {
			return m.versions.Version(h.value)
		}
	}
	return nil
}

func (m *ceMessage) ReadEncoding() binding.Encoding {
	if m.version() != nil {
		return binding.EncodingBinary
	}
	return binding.EncodingUnknown
}

func (m *ceMessage) ReadStructured(context.Context, binding.StructuredWriter) error {
	return binding.ErrNotStructured
}

func (m *ceMessage) ReadBinary(ctx context.Context, w binding.BinaryWriter) error {
	v := m.version()
	if v == nil {
		return binding.ErrNotBinary
	}
	if err := w.Start(ctx); err != nil {
		return err
	}
	for _, h := range m.headers {
		name := strings.ToLower(h.name)
		var err error
		switch {
		case strings.HasPrefix(name, m.versions.Prefix()):
			value := h.value
			if m.percent {
				if value, err = percentDecode(value); err != nil {
					return fmt.Errorf("header %s: %w", h.name, err)
				}
			}
			if attr := v.Attribute(name); attr != nil {
				err = w.SetAttribute(attr, value)
			} else {
				err = w.SetExtension(strings.TrimPrefix(name, m.versions.Prefix()), value)
			}
		case m.contentType != "" && name == m.contentType:
			err = w.SetAttribute(v.AttributeFromKind(spec.DataContentType), h.value)
		}
		if err != nil {
			return err
		}
	}
	if err := w.SetData(bytes.NewReader(m.body)); err != nil {
		return err
	}
	return w.End(ctx)
}

func (m *ceMessage) Finish(error) error { return nil }

// GetAttribute and GetExtension read one attribute, as the SDK does when
// it writes a message out; a value that is not valid percent-encoding
// reads as absent.
func (m *ceMessage) GetAttribute(k spec.Kind) (spec.Attribute, interface{}) {
	v := m.version()
	if v == nil {
		return nil, nil
	}
	attr := v.AttributeFromKind(k)
	if attr == nil {
		return nil, nil
	}
	if value, ok := m.value(attr.PrefixedName()); ok {
		return attr, value
	}
	if k == spec.DataContentType && m.contentType != "" {
		if value, ok := m.raw(m.contentType); ok {
			return attr, value
		}
	}
	return attr, nil
}

func (m *ceMessage) GetExtension(name string) interface{} {
	if value, ok := m.value(m.versions.Prefix() + name); ok {
		return value
	}
	return nil
}

// value is the decoded value of the prefixed header name.
func (m *ceMessage) value(name string) (string, bool) {
	raw, ok := m.raw(name)
	if !ok || !m.percent {
		return raw, ok
	}
	value, err := percentDecode(raw)
	return value, err == nil
}

func (m *ceMessage) raw(name string) (string, bool) {
	for _, h := range m.headers {
		if strings.EqualFold(h.name, name) {
			return h.value, true
		}
	}
	return "", false
}

// percentDecode reads a value as the NATS binding writes it: %XX is one
// byte, upper or lower case hex, and the bytes are UTF-8. A stray % is
// an error, never passed through: a conforming decoder would reject it.
func percentDecode(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
			return "", fmt.Errorf("bad percent-encoding in %q", s)
		}
		b.WriteByte(byte(unhex(s[i+1])<<4 | unhex(s[i+2])))
		i += 2
	}
	if !utf8.ValidString(b.String()) {
		return "", fmt.Errorf("%q decodes to bytes that are not UTF-8", s)
	}
	return b.String(), nil
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
