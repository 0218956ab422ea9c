package console

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/hirebridge/hirebridge/internal/browse"
	"github.com/hirebridge/hirebridge/internal/replay"
	"github.com/hirebridge/hirebridge/sinks"
)

// resolvedBy is who the console's marks name.
const resolvedBy = "console"

// listDeadLetters is GET /api/v1/deadletters: newest first, with their
// reasons and marks, counted by reason.
func (c *Console) listDeadLetters(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sq, err := common(q, time.Now())
	dq := browse.DeadLetterQuery{Since: sq.Since, Until: sq.Until, Limit: sq.Limit}
	if err == nil {
		dq.Reason, err = text(q, "reason")
	}
	if err == nil {
		if dq.Status, err = browse.ParseStatus(q.Get("status")); err != nil {
			err = &queryError{"status", err.Error()}
		}
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, err.Error())
		return
	}
	c.answer(w, r, brokerTimeout, "listing the dead letters", func(ctx context.Context, b Broker) (any, error) {
		return browse.ListDeadLetters(ctx, b, b, c.prefix(), dq)
	})
}

// replay is POST /api/v1/deadletters/{id}/replay[?dry_run=true]: the dead
// letter through the handler's validation again, published when it passes
// now and its event is not on its destination yet; replay's outcome words.
func (c *Console) replay(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	dryRun := false
	if v := r.URL.Query().Get("dry_run"); v != "" {
		var err error
		if dryRun, err = strconv.ParseBool(v); err != nil {
			writeError(w, http.StatusBadRequest, codeBadRequest, "dry_run: "+strconv.Quote(v)+" is not true or false")
			return
		}
	}
	c.answer(w, r, replayTimeout, "replaying the dead letter", func(ctx context.Context, b Broker) (any, error) {
		st, err := browse.FindDeadLetter(ctx, b, c.prefix(), id, true)
		if err != nil {
			return nil, err
		}
		res, err := replay.New(b, c.cfg.Bridge).One(ctx, st, dryRun)
		if err != nil {
			return nil, err
		}
		c.cfg.Log.Info().Str("component", "console").Str("dead_letter", id).Bool("dry_run", dryRun).
			Str("outcome", res.Outcome).Str("event_id", res.EventID).Msg("dead letter replayed from the console")
		return res, nil
	})
}

// resolve is POST /api/v1/deadletters/{id}/resolve, with an optional note
// as JSON {"note":"…"} or a form's note: the mark is kept on the broker,
// where every replica and `hirebridge replay` see it.
func (c *Console) resolve(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	note, err := noteOf(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, err.Error())
		return
	}
	c.answer(w, r, brokerTimeout, "resolving the dead letter", func(ctx context.Context, b Broker) (any, error) {
		res, err := browse.Resolve(ctx, b, b, c.prefix(), id, sinks.Mark{At: time.Now().UTC(), By: resolvedBy, Note: note})
		if err == nil {
			c.cfg.Log.Info().Str("component", "console").Str("dead_letter", id).Msg("dead letter marked resolved from the console")
		}
		return res, err
	})
}

// maxNote bounds a resolved mark's note.
const maxNote = 2000

// noteOf reads the note of a resolve: JSON {"note":"…"}, a form's note, or
// none.
func noteOf(r *http.Request) (string, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var note string
	switch mt {
	case "application/json":
		var body struct {
			Note string `json:"note"`
		}
		dec := json.NewDecoder(r.Body)
		if err := dec.Decode(&body); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return "", errors.New("the body is larger than 16 KiB")
			}
			if !errors.Is(err, io.EOF) {
				return "", errors.New("the body is not JSON of the form {\"note\":\"…\"}: " + err.Error())
			}
		}
		note = body.Note
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return "", errors.New("the form cannot be read: " + err.Error())
		}
		note = r.PostForm.Get("note")
	}
	if len(note) > maxNote {
		return "", errors.New("the note is longer than 2000 bytes")
	}
	return note, nil
}
