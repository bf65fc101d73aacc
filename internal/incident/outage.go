package incident

import (
	"context"
	"errors"
	"sync/atomic"
	"syscall"
	"time"

	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/irbot/irbot/internal/apperr"
)

// What a person is told when Temporal is out of reach. The two cases make
// different promises: a request that never reached Temporal changed
// nothing and must be repeated; one that went unanswered may have been
// applied, and repeating it with the same request ID is safe.
const (
	temporalDownMessage    = "the workflow engine (Temporal) cannot be reached: nothing was changed; repeat the request when irbot is ready again (usually within a minute)"
	temporalTimeoutMessage = "the workflow engine (Temporal) did not answer in time: the action may still be applied; check the incident before repeating it, or repeat it with the same request ID"
)

// temporalOutage maps an error from the Temporal client to an Unavailable
// domain error when it says Temporal is down or did not answer (gRPC
// Unavailable or DeadlineExceeded, a refused connection, our own deadline),
// and to nil for every other error. It is the one place that decides what
// a Temporal outage is; every call into Temporal goes through it, so the
// HTTP API answers 503 with Retry-After and Slack says what to do.
func temporalOutage(err error) *apperr.Error {
	if err == nil {
		return nil
	}
	var un *serviceerror.Unavailable
	if errors.As(err, &un) || errors.Is(err, syscall.ECONNREFUSED) {
		return &apperr.Error{Code: apperr.Unavailable, Message: temporalDownMessage}
	}
	var dl *serviceerror.DeadlineExceeded
	if errors.As(err, &dl) || errors.Is(err, context.DeadlineExceeded) {
		return &apperr.Error{Code: apperr.Unavailable, Message: temporalTimeoutMessage}
	}
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.Unavailable:
			return &apperr.Error{Code: apperr.Unavailable, Message: temporalDownMessage}
		case codes.DeadlineExceeded:
			return &apperr.Error{Code: apperr.Unavailable, Message: temporalTimeoutMessage}
		}
	}
	return nil
}

// errTemporalDown stands for a call not made because the last health check
// failed: it maps like the refused connection it would have met, at once
// instead of after the client's retries.
var errTemporalDown = status.Error(codes.Unavailable, "temporal frontend unreachable at the last health check")

// TemporalHealth remembers whether the Temporal frontend answered the last
// health check, so surfaces that must answer at once (a Slack slash
// command's 3 s acknowledgement) can say "not run, repeat it" without
// waiting for a call to time out. The zero value is healthy.
type TemporalHealth struct {
	downSince atomic.Int64 // unix nanoseconds; 0 while healthy
}

// Observe records the result of a health check (nil: healthy).
func (h *TemporalHealth) Observe(err error, now time.Time) {
	if err == nil {
		h.downSince.Store(0)
		return
	}
	h.downSince.CompareAndSwap(0, now.UnixNano())
}

// Down reports whether the last health check failed, and since when.
func (h *TemporalHealth) Down() (bool, time.Time) {
	ns := h.downSince.Load()
	if ns == 0 {
		return false, time.Time{}
	}
	return true, time.Unix(0, ns)
}

// TemporalDown reports whether Temporal is known to be unreachable now
// (the last health check failed); false when nobody checks.
func (s *Service) TemporalDown() bool {
	if s.Health == nil {
		return false
	}
	down, _ := s.Health.Down()
	return down
}
