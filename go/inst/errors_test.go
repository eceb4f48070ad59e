package inst

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWithKind(t *testing.T) {
	t.Parallel()
	cause := fmt.Errorf("dial tcp: %w", context.DeadlineExceeded)
	err := WithKind(ErrServerFailed, cause)
	require.Equal(t, cause.Error(), err.Error(), "the text is unchanged")
	require.ErrorIs(t, err, ErrServerFailed)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the cause's chain is kept")
	wrapped := fmt.Errorf("probe h:1: %w", err)
	require.ErrorIs(t, wrapped, ErrServerFailed)
	require.Same(t, err, WithKind(ErrServerFailed, err), "marked once")
	require.NoError(t, WithKind(ErrServerFailed, nil))
	require.False(t, errors.Is(cause, ErrServerFailed))
}
