package sim

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// splitStatements splits a multi-statement query on semicolons outside
// quotes.
func splitStatements(q string) []string {
	var out []string
	var quote byte
	start := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == ';':
			out = append(out, q[start:i])
			start = i + 1
		}
	}
	out = append(out, q[start:])
	stmts := out[:0]
	for _, s := range out {
		if s = strings.TrimSpace(s); s != "" {
			stmts = append(stmts, s)
		}
	}
	return stmts
}

var spaces = regexp.MustCompile(`\s+`)

// answer runs one statement on s. It holds the fleet's lock while reading
// the server's state.
func (f *Fleet) answer(s *Server, stmt string) (*resultSet, *sqlError) {
	norm := spaces.ReplaceAllString(strings.TrimSpace(stmt), " ")
	upper := strings.ToUpper(norm)
	if strings.HasPrefix(upper, "STOP ") || strings.HasPrefix(upper, "START ") {
		return f.replicationStatement(s, upper)
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	now := time.Now()
	switch {
	case strings.HasPrefix(upper, "SELECT "):
		return s.selectValues(norm[len("SELECT "):], now)
	case strings.HasPrefix(upper, "SHOW GLOBAL STATUS"), strings.HasPrefix(upper, "SHOW STATUS"):
		return nameValues(s.status(now), norm, false)
	case strings.HasPrefix(upper, "SHOW GLOBAL VARIABLES"), strings.HasPrefix(upper, "SHOW VARIABLES"):
		return nameValues(s.variables(now), norm, true)
	case upper == "SHOW MASTER STATUS" && !s.oldTermsRemoved(),
		upper == "SHOW BINARY LOG STATUS" && !s.IsMariaDB() && s.versionAtLeast(8, 2, 0),
		upper == "SHOW BINLOG STATUS" && s.IsMariaDB() && s.versionAtLeast(10, 5, 2):
		return s.masterStatus(now), nil
	case upper == "SHOW SLAVE STATUS" && !s.oldTermsRemoved(),
		upper == "SHOW REPLICA STATUS" && (s.newTerms() || (s.IsMariaDB() && s.versionAtLeast(10, 5, 1))):
		return s.replicaStatus(now, upper == "SHOW REPLICA STATUS" && s.newTerms()), nil
	case upper == "SHOW SLAVE HOSTS" && !s.oldTermsRemoved(),
		upper == "SHOW REPLICAS" && s.newTerms(),
		upper == "SHOW REPLICA HOSTS" && s.IsMariaDB() && s.versionAtLeast(10, 5, 1):
		return s.replicaHosts(upper == "SHOW REPLICAS"), nil
	case upper == "SHOW BINARY LOGS":
		if !s.LogBin {
			return nil, &sqlError{1381, "HY000", "You are not using binary logging"}
		}
		return &resultSet{columns: []string{"Log_name", "File_size"},
			rows: [][]*string{{str(s.binlogFile()), str(strconv.FormatInt(binlogPos(s.trx(now)), 10))}}}, nil
	case strings.HasPrefix(upper, "SET "), upper == "COMMIT", upper == "ROLLBACK", strings.HasPrefix(upper, "USE "):
		return &resultSet{}, nil
	}
	return nil, errSyntax(norm)
}

func str(s string) *string { return &s }

// selectValues answers SELECT of @@variables and literals, one row.
func (s *Server) selectValues(list string, now time.Time) (*resultSet, *sqlError) {
	vars := s.variables(now)
	rs := &resultSet{rows: [][]*string{{}}}
	for _, expr := range strings.Split(list, ",") {
		expr = strings.TrimSpace(expr)
		rs.columns = append(rs.columns, expr)
		if !strings.HasPrefix(expr, "@@") {
			if _, err := strconv.ParseFloat(expr, 64); err != nil {
				return nil, errSyntax("SELECT " + list)
			}
			rs.rows[0] = append(rs.rows[0], str(expr))
			continue
		}
		name := strings.ToLower(expr[2:])
		name = strings.TrimPrefix(strings.TrimPrefix(name, "global."), "session.")
		v, ok := vars[name]
		if !ok {
			return nil, errUnknownVariable(name)
		}
		if name == "report_host" && v == "" {
			rs.rows[0] = append(rs.rows[0], nil)
			continue
		}
		rs.rows[0] = append(rs.rows[0], str(v))
	}
	return rs, nil
}

var (
	likeClause = regexp.MustCompile(`(?i)\bLIKE '([^']*)'`)
	inClause   = regexp.MustCompile(`(?i)\bWHERE Variable_name IN \(([^)]*)\)`)
	quoted     = regexp.MustCompile(`'([^']*)'`)
)

// nameValues answers SHOW [GLOBAL] STATUS|VARIABLES [LIKE '...' | WHERE
// Variable_name IN (...)].
func nameValues(all map[string]string, stmt string, lowerNames bool) (*resultSet, *sqlError) {
	keep := func(string) bool { return true }
	if m := likeClause.FindStringSubmatch(stmt); m != nil {
		re := regexp.MustCompile("(?i)^" + strings.NewReplacer("%", ".*", "_", ".").Replace(regexp.QuoteMeta(m[1])) + "$")
		keep = re.MatchString
	} else if m := inClause.FindStringSubmatch(stmt); m != nil {
		names := map[string]bool{}
		for _, q := range quoted.FindAllStringSubmatch(m[1], -1) {
			names[strings.ToLower(q[1])] = true
		}
		keep = func(n string) bool { return names[strings.ToLower(n)] }
	} else if strings.Contains(strings.ToUpper(stmt), " WHERE ") {
		return nil, errSyntax(stmt)
	}
	rs := &resultSet{columns: []string{"Variable_name", "Value"}}
	names := make([]string, 0, len(all))
	for n := range all {
		if keep(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		name := n
		if lowerNames {
			name = strings.ToLower(n)
		}
		rs.rows = append(rs.rows, []*string{str(name), str(all[n])})
	}
	return rs, nil
}

func (s *Server) masterStatus(now time.Time) *resultSet {
	cols := []string{"File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB"}
	if !s.IsMariaDB() {
		cols = append(cols, "Executed_Gtid_Set")
	}
	rs := &resultSet{columns: cols}
	if !s.LogBin {
		return rs
	}
	trx := s.trx(now)
	r := []*string{str(s.binlogFile()), str(strconv.FormatInt(binlogPos(trx), 10)), str(""), str("")}
	if !s.IsMariaDB() {
		gtid := ""
		if s.GTID {
			gtid = s.oracleGTIDSet(trx)
		}
		r = append(r, str(gtid))
	}
	rs.rows = [][]*string{r}
	return rs
}

// replicaHosts answers SHOW SLAVE HOSTS / SHOW REPLICAS: the replicas whose
// IO thread is connected, as they registered (report_host/report_port).
func (s *Server) replicaHosts(replicasSyntax bool) *resultSet {
	rs := &resultSet{columns: []string{"Server_id", "Host", "Port", "Master_id"}}
	switch {
	case replicasSyntax:
		rs.columns = []string{"Server_Id", "Host", "Port", "Source_Id", "Replica_UUID"}
	case !s.IsMariaDB():
		rs.columns = append(rs.columns, "Slave_UUID")
	}
	for _, r := range s.replicas {
		if !r.ioRunning() {
			continue
		}
		row := []*string{str(strconv.FormatUint(uint64(r.ServerID), 10)), str(r.Host), str(strconv.Itoa(r.Port)),
			str(strconv.FormatUint(uint64(s.ServerID), 10))}
		if !s.IsMariaDB() {
			row = append(row, str(r.UUID))
		}
		rs.rows = append(rs.rows, row)
	}
	return rs
}

// replicationStatement runs START/STOP SLAVE|REPLICA [IO_THREAD|SQL_THREAD].
func (f *Fleet) replicationStatement(s *Server, upper string) (*resultSet, *sqlError) {
	words := strings.Fields(upper)
	if len(words) < 2 || len(words) > 3 || (words[1] != "SLAVE" && words[1] != "REPLICA") {
		return nil, errSyntax(upper)
	}
	if (words[1] == "SLAVE" && s.oldTermsRemoved()) || (words[1] == "REPLICA" && !s.newTerms() && !(s.IsMariaDB() && s.versionAtLeast(10, 5, 1))) {
		return nil, errSyntax(upper)
	}
	var faults []Fault
	switch {
	case words[0] == "START":
		faults = []Fault{FaultStartReplica}
	case len(words) == 2:
		faults = []Fault{FaultStopIO, FaultStopSQL}
	case words[2] == "IO_THREAD":
		faults = []Fault{FaultStopIO}
	case words[2] == "SQL_THREAD":
		faults = []Fault{FaultStopSQL}
	default:
		return nil, errSyntax(upper)
	}
	for _, fault := range faults {
		if err := f.Apply(s.Addr(), fault, 0); err != nil {
			return nil, &sqlError{1200, "HY000", "The server is not configured as slave; fix in config file or with CHANGE MASTER TO"}
		}
	}
	return &resultSet{}, nil
}
