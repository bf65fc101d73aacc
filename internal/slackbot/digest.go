package slackbot

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/irbot/irbot/workflows"
)

// digestChunk is the most text one digest message carries: well inside
// chat.postMessage's 40,000 characters, on line boundaries where it can.
const digestChunk = 12000

// maxDigestMessages bounds the messages one digest posts: the first in the
// channel, the rest in its thread.
const maxDigestMessages = 8

// SendDigest posts the daily digest (open clocks, then the signed
// checkpoint) in channel, or the announcement channel when none is set:
// its first part in the channel, the rest in that message's thread. A
// digest too long for maxDigestMessages says where to get the rest
// (the checkpoint's exact bytes are always at GET /api/v1/checkpoints/N).
func (b *Bot) SendDigest(ctx context.Context, channel, text string, _ []workflows.DigestLine) error {
	if channel == "" {
		channel = b.announce
	}
	if channel == "" {
		return nil // nowhere to post: the email and the log carry it
	}
	parts := splitText(text, digestChunk)
	if len(parts) > maxDigestMessages {
		parts = append(parts[:maxDigestMessages-1],
			fmt.Sprintf("… the digest is longer than %d messages; `irbot checkpoint latest` (or GET /api/v1/checkpoints/latest) gives the checkpoint's exact bytes", maxDigestMessages))
	}
	var thread string
	for i, p := range parts {
		opts := []slack.MsgOption{slack.MsgOptionText(p, false)}
		if i > 0 {
			opts = append(opts, slack.MsgOptionTS(thread))
		}
		ts, err := b.api.Post(ctx, channel, opts...)
		if err != nil {
			return fmt.Errorf("digest part %d of %d to %s: %w", i+1, len(parts), channel, err)
		}
		if i == 0 {
			thread = ts
		}
	}
	return nil
}

// splitText cuts text into pieces of at most n bytes, at a line end when
// one is in the second half of the piece, and never inside a UTF-8
// character.
func splitText(text string, n int) []string {
	var out []string
	for len(text) > n {
		cut := strings.LastIndexByte(text[:n], '\n') + 1
		if cut < n/2 {
			cut = n
			for cut > 0 && !utf8.RuneStart(text[cut]) {
				cut--
			}
		}
		out = append(out, text[:cut])
		text = text[cut:]
	}
	if text != "" || len(out) == 0 {
		out = append(out, text)
	}
	return out
}
