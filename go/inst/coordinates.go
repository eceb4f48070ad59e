package inst

import (
	"fmt"
	"strconv"
	"strings"
)

// CoordinatesType tells a binary log from a relay log.
type CoordinatesType int

const (
	BinaryLog CoordinatesType = 0
	RelayLog  CoordinatesType = 1
)

// BinlogCoordinates is a position in a binary or relay log.
type BinlogCoordinates struct {
	LogFile string
	LogPos  int64
	Type    CoordinatesType
}

// ParseBinlogCoordinates parses "file:pos" or "file" (pos 4).
func ParseBinlogCoordinates(s string) (BinlogCoordinates, error) {
	file, posText, found := strings.Cut(strings.TrimSpace(s), ":")
	if file == "" {
		return BinlogCoordinates{}, fmt.Errorf("%w: empty binlog file in %q", ErrBadRequest, s)
	}
	c := BinlogCoordinates{LogFile: file, LogPos: 4}
	if found {
		pos, err := strconv.ParseInt(posText, 10, 64)
		if err != nil || pos < 0 {
			return BinlogCoordinates{}, fmt.Errorf("%w: invalid binlog position %q", ErrBadRequest, posText)
		}
		c.LogPos = pos
	}
	return c, nil
}

func (c BinlogCoordinates) String() string { return fmt.Sprintf("%s:%d", c.LogFile, c.LogPos) }

// IsEmpty reports an unset position.
func (c BinlogCoordinates) IsEmpty() bool { return c.LogFile == "" }

// fileNumber splits "mysql-bin.000012" into its prefix and number.
func (c BinlogCoordinates) fileNumber() (string, int64) {
	i := strings.LastIndex(c.LogFile, ".")
	if i < 0 {
		return c.LogFile, 0
	}
	n, err := strconv.ParseInt(c.LogFile[i+1:], 10, 64)
	if err != nil {
		return c.LogFile, 0
	}
	return c.LogFile[:i], n
}

// Compare orders coordinates of one server's log: -1, 0 or 1.
func (c BinlogCoordinates) Compare(o BinlogCoordinates) int {
	_, a := c.fileNumber()
	_, b := o.fileNumber()
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case c.LogPos < o.LogPos:
		return -1
	case c.LogPos > o.LogPos:
		return 1
	}
	return 0
}

// SmallerThan reports c < o.
func (c BinlogCoordinates) SmallerThan(o BinlogCoordinates) bool { return c.Compare(o) < 0 }
