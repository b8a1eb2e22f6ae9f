package provisioner

import (
	"math/rand/v2"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/defaults"

	"github.com/riverqueue/river/rivertype"
)

// Retry policy defaults (the base delay is PORTAL_RETRY_BASE_DELAY's, in
// package defaults).
const (
	DefaultRetryBaseDelay = defaults.RetryBaseDelay
	DefaultRetryMaxDelay  = 5 * time.Minute
	// DefaultRetryJitter spreads each delay over ±20 %, so that requests that
	// failed together (a throttled burst) do not come back together.
	DefaultRetryJitter = 0.2
)

// RetryPolicy is the backoff between provisioning attempts: Base after the
// first failed attempt, doubling after each further one, spread by ±Jitter
// and never more than Max. It is River's ClientRetryPolicy too, so that a
// job the rescuer puts back follows the same schedule.
type RetryPolicy struct {
	Base   time.Duration // default DefaultRetryBaseDelay
	Max    time.Duration // default DefaultRetryMaxDelay
	Jitter float64       // fraction of the delay, 0 to 1; default DefaultRetryJitter; negative for none
	// Clock and Rand are the clock and the source of jitter (a number in
	// [0, 1)); nil means the system's clock and math/rand/v2's Float64.
	// Tests set them.
	Clock domain.Clock
	Rand  func() float64
}

// Delay is the wait after failed attempt number attempt (1 for the first).
func (p *RetryPolicy) Delay(attempt int) time.Duration {
	base, ceiling := p.Base, p.Max
	if base <= 0 {
		base = DefaultRetryBaseDelay
	}
	if ceiling <= 0 {
		ceiling = DefaultRetryMaxDelay
	}
	jitter := p.Jitter
	switch {
	case jitter == 0:
		jitter = DefaultRetryJitter
	case jitter < 0:
		jitter = 0
	case jitter > 1:
		jitter = 1
	}
	d := ceiling
	if n := max(attempt, 1) - 1; n < 40 && base<<n < ceiling && base<<n > 0 {
		d = base << n
	}
	random := rand.Float64
	if p.Rand != nil {
		random = p.Rand
	}
	d = time.Duration(float64(d) * (1 + jitter*(2*random()-1)))
	return min(d, ceiling)
}

// NextRetry implements river.ClientRetryPolicy: now plus the delay after the
// job's current attempt.
func (p *RetryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return p.now().Add(p.Delay(job.Attempt))
}

func (p *RetryPolicy) now() time.Time {
	return domain.Now(p.Clock)
}
