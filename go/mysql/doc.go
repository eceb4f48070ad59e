// Package mysql talks to live topology servers, one at a time:
//
//   - conn.go: Connector, one small connection pool per server (DSN, TLS,
//     timeouts) and redaction of secrets from errors;
//   - terminology.go: the vocabulary of each flavour and version (SHOW
//     SLAVE STATUS vs SHOW REPLICA STATUS, CHANGE MASTER TO vs CHANGE
//     REPLICATION SOURCE TO, ...), chosen from the server's version string;
//   - inspect*.go: Inspector, which only reads: Probe (everything about
//     one server in one batch of statements), ReplicationStatus,
//     BinaryLogs, ReadReplicationCredentials;
//   - apply*.go: Applier, which owns every statement that changes a
//     server: replication threads, CHANGE MASTER TO, read_only,
//     semi-sync, GTID waits and repairs, binary logs.
package mysql
