package incident

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/irbot/irbot/internal/apperr"
)

// TestTemporalOutageIsOneMapping: every shape in which the Temporal client
// reports that the frontend is down or silent becomes one Unavailable
// answer (HTTP 503 with Retry-After), and nothing else does.
func TestTemporalOutageIsOneMapping(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, tc := range []struct {
		name string
		err  error
		want string // message part; "" means not an outage
	}{
		{"grpc unavailable", status.Error(codes.Unavailable, "connection error: dial tcp 127.0.0.1:7233: connect: connection refused"), "nothing was changed"},
		{"serviceerror unavailable", serviceerror.NewUnavailable("frontend draining"), "nothing was changed"},
		{"refused connection", fmt.Errorf("dial: %w", refused), "nothing was changed"},
		{"known down at the last check", errTemporalDown, "nothing was changed"},
		{"grpc deadline", status.Error(codes.DeadlineExceeded, "context deadline exceeded"), "may still be applied"},
		{"serviceerror deadline", serviceerror.NewDeadlineExceeded("deadline"), "may still be applied"},
		{"our own deadline", fmt.Errorf("update: %w", context.DeadlineExceeded), "may still be applied"},
		{"not found", serviceerror.NewNotFound("workflow not found"), ""},
		{"invalid argument", status.Error(codes.InvalidArgument, "bad"), ""},
		{"other", errors.New("boom"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := temporalOutage(tc.err)
			if tc.want == "" {
				require.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			require.Equal(t, apperr.Unavailable, got.Code)
			require.Contains(t, got.Message, tc.want)
			require.Contains(t, got.Message, "Temporal", "the person learns what is down")
		})
	}
}

// TestTemporalHealthFailsFastAndRecovers: once a health check fails, the
// service answers Unavailable without calling Temporal (a nil client would
// panic); a passing check lets calls through again.
func TestTemporalHealthFailsFastAndRecovers(t *testing.T) {
	h := &TemporalHealth{}
	s := &Service{Health: h}
	require.False(t, s.TemporalDown())
	now := time.Now()
	h.Observe(errors.New("unreachable"), now)
	h.Observe(errors.New("still unreachable"), now.Add(2*time.Second))
	down, since := h.Down()
	require.True(t, down)
	require.Equal(t, now.UnixNano(), since.UnixNano(), "the outage counts from the first failed check")
	_, err := s.query(t.Context(), "INC-2026-0001")
	require.Equal(t, apperr.Unavailable, apperr.CodeOf(err))
	require.Contains(t, apperr.MessageOf(err), "cannot be reached")
	err = s.update(t.Context(), "incident/INC-2026-0001", "", "note", nil, nil)
	require.Equal(t, apperr.Unavailable, apperr.CodeOf(s.updateError("INC-2026-0001", err)))
	h.Observe(nil, now.Add(4*time.Second))
	require.False(t, s.TemporalDown())
}
