package store

import (
	"fmt"
	"strings"
)

// conditions builds the WHERE clause of a filtered list: each term holds one
// %d that becomes its value's parameter number.
type conditions struct {
	terms []string
	args  []any
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

// limit appends the page size and returns " LIMIT $n".
func (c *conditions) limit(n int) string {
	c.args = append(c.args, n)
	return fmt.Sprintf(" LIMIT $%d", len(c.args))
}
