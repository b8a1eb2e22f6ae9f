package store

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// conditions builds the WHERE clause of a filtered list: each term holds one
// %d that becomes its value's parameter number.
type conditions struct {
	terms []string
	args  []any
	// planEachCall has the statement planned at each call, for its values
	// (see queryArgs).
	planEachCall bool
}

// add appends a term such as "r.status = $%d" with its value.
func (c *conditions) add(term string, v any) {
	c.args = append(c.args, v)
	c.terms = append(c.terms, fmt.Sprintf(term, len(c.args)))
}

// addFixed appends a term without a value.
func (c *conditions) addFixed(term string) { c.terms = append(c.terms, term) }

// where is " WHERE a AND b", or "" without terms.
func (c *conditions) where() string {
	if len(c.terms) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.terms, " AND ")
}

// limit returns " LIMIT n", the page size written into the statement rather
// than passed as a parameter. pgx prepares each statement once per
// connection, and Postgres then chooses between a generic plan, made once,
// and a custom plan, made at each call for the values given. A generic plan
// knows nothing of a LIMIT parameter and takes it as a tenth of the rows, so
// it always looks far costlier than a custom plan for 51 rows, and Postgres
// kept planning the history page and the approvals queue at every call,
// planning taking longer than running. With the page size in the text, the
// generic plan is as cheap as the custom one and is kept after the first
// few calls. The text still doesn't vary from call to call: the page sizes
// are a few constants of the callers, bounded by limit().
func (c *conditions) limit(n int) string {
	return " LIMIT " + strconv.Itoa(n)
}

// queryArgs are the arguments of the statement's Query: its values, after
// pgx.QueryExecModeCacheDescribe when planEachCall is set. That mode sends
// the statement unnamed, which Postgres plans at each call for the values
// given, instead of the named statement pgx prepares once per connection,
// whose plan Postgres makes generic after five calls: a plan for an average
// value. It is for a condition whose values select very different shares of
// the rows, where no one plan suits them all; planning costs about a
// millisecond. The statement's description is still cached, and the mode
// is the one the portal runs behind a transaction pooler, so it is safe
// there too.
func (c *conditions) queryArgs() []any {
	if !c.planEachCall {
		return c.args
	}
	return append([]any{pgx.QueryExecModeCacheDescribe}, c.args...)
}
