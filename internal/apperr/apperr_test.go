package apperr

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

type pgError struct{ code string }

func (e *pgError) Error() string    { return "pg " + e.code }
func (e *pgError) SQLState() string { return e.code }

// TestBackendDownAnswersUnavailable: a database that refuses, drops or is
// shutting down is an outage (503, try again), not an internal error; a
// constraint violation or a bug stays internal.
func TestBackendDownAnswersUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		down bool
	}{
		{"refused", fmt.Errorf("reserve incident id: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), true},
		{"reset", fmt.Errorf("query: %w", syscall.ECONNRESET), true},
		{"bad conn", driver.ErrBadConn, true},
		{"admin shutdown", fmt.Errorf("append: %w", &pgError{"57P01"}), true},
		{"starting up", &pgError{"57P03"}, true},
		{"connection exception", &pgError{"08006"}, true},
		{"unique violation", &pgError{"23505"}, false},
		{"bug", errors.New("nil map"), false},
		{"domain error wins", New(NotFound, "no incident"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.down, BackendDown(tc.err))
			if tc.down {
				require.Equal(t, Unavailable, CodeOf(tc.err))
				require.Contains(t, MessageOf(tc.err), "database cannot be reached")
			} else {
				require.NotEqual(t, Unavailable, CodeOf(tc.err))
			}
		})
	}
}
