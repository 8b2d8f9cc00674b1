package ratelimit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPacerHoldsFastAnswersToTheSlowOnes(t *testing.T) {
	p := NewPacer(5 * time.Second)
	now := time.Unix(1_700_000_000, 0)
	ms := time.Millisecond
	require.Zero(t, p.Delay("/user/password/reset", 200*ms, now), "an account that exists: mail sent, slow")
	require.Equal(t, 198*ms, p.Delay("/user/password/reset", 2*ms, now.Add(time.Second)), "no account: held as long")
	require.Zero(t, p.Delay("/signin/passwordless/email", 2*ms, now), "routes are paced separately")

	// A quiet spell only slowly brings the fast answers back.
	d := p.Delay("/user/password/reset", 2*ms, now.Add(3*time.Minute))
	require.InDelta(t, float64(200*ms)*0.9*0.9*0.9-float64(2*ms), float64(d), float64(ms))

	// The ceiling bounds the hold.
	require.Zero(t, p.Delay("/slow", 30*time.Second, now))
	require.Equal(t, 5*time.Second-ms, p.Delay("/slow", ms, now))
}

// What is stored is at most the ceiling: one answer that took 30 s holds
// later ones for the ceiling, and then decays from there, not from 30 s.
func TestPacerStoresAtMostTheCeiling(t *testing.T) {
	p := NewPacer(5 * time.Second)
	now := time.Unix(1_700_000_000, 0)
	ms := time.Millisecond
	require.Zero(t, p.Delay("/r", 30*time.Second, now))
	d := p.Delay("/r", ms, now.Add(2*time.Minute))
	require.InDelta(t, float64(5*time.Second)*0.9*0.9-float64(ms), float64(d), float64(ms))
}
