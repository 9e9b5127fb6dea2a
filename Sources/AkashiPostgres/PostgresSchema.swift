import PostgresNIO

/// The PostgreSQL store's schema, only through named migrations, applied in order under a session advisory lock
/// (two servers starting at once apply each migration once).
///
/// Every table's first key column is `muni`, the municipality code: one database can hold many municipalities, and
/// Citus can distribute every table by it (docs/postgres.md). Events live in monthly range partitions of `event`,
/// created as the first event of a month arrives.
enum PostgresSchema {
    /// One named step: statements run in one transaction.
    struct Migration: Sendable {
        let name: String
        let sql: [String]
    }

    /// Every migration, in the order they are applied.
    static var all: [Migration] {
        core + workspace + console + reports + audit + lookups + submissions + hardening + consoleTriage + signInClaims
    }

    /// Issue 18 (fault test): a claimed password check stays open until its outcome is recorded (`open_at`, the claim
    /// times of the open ones); one still open long after it was made was cut off by a killed server, and is given back.
    static let signInClaims: [Migration] = [
        Migration(name: "pg11-signin-open-claims", sql: [
            "ALTER TABLE ws_signin_failure ADD COLUMN open_at text NOT NULL DEFAULT ''",
        ]),
    ]

    /// Issue 19 (auditor console), A-4: an investigation opened from a worklist group holds every finding of the group.
    /// Appended only: a finding, once held, stays held.
    static let consoleTriage: [Migration] = [
        Migration(name: "pg10-console-held-findings", sql: [
            """
            CREATE TABLE console_held_finding(muni text NOT NULL, investigation text NOT NULL, access text NOT NULL,
                PRIMARY KEY(muni, investigation, access))
            """,
            "CREATE INDEX console_held_finding_access ON console_held_finding(muni, access)",
            "CREATE TRIGGER console_held_finding_append_only BEFORE UPDATE OR DELETE ON console_held_finding FOR EACH ROW EXECUTE FUNCTION akashi_append_only()",
        ]),
    ]

    /// Issue 18 (hardening), after the first release of the schema.
    static let hardening: [Migration] = [
        // F-6: failed sign-ins are counted per account and client address (a stranger's guesses lock out only the
        // stranger's address), under a ceiling per account over a longer window (window_start). A lock set before
        // this migration stays until it expires.
        Migration(name: "pg8-signin-by-address", sql: [
            "ALTER TABLE ws_account ADD COLUMN window_start bigint",
            """
            CREATE TABLE ws_signin_failure(muni text NOT NULL, staff text NOT NULL, address text NOT NULL,
                failures bigint NOT NULL, window_start bigint NOT NULL, locked_until bigint, PRIMARY KEY(muni, staff, address))
            """,
        ]),
        // F-14: a suppression across staff needs a second auditor. The decision is a row of its own, appended; the
        // suppression is never changed. Suppressions made before this migration stay in effect.
        Migration(name: "pg9-suppression-confirmation", sql: [
            "ALTER TABLE console_suppression ADD COLUMN needs_confirmation boolean NOT NULL DEFAULT false",
            """
            CREATE TABLE console_suppression_decision(muni text NOT NULL, suppression bigint NOT NULL, decision text NOT NULL,
                decided_by text NOT NULL, at text NOT NULL, journal text NOT NULL, PRIMARY KEY(muni, suppression))
            """,
            """
            CREATE TRIGGER console_suppression_decision_append_only BEFORE UPDATE OR DELETE ON console_suppression_decision
                FOR EACH ROW EXECUTE FUNCTION akashi_append_only()
            """,
        ]),
    ]

    /// The event-log reads as plpgsql functions with a cached generic plan. Planning a query over the event table
    /// costs about 8 ms once there are five years of monthly partitions (each with its indexes), and an unnamed
    /// statement is planned on every call: a disclosure's handful of lookups took 20 ms, almost all of it planning.
    /// A plpgsql function keeps its statements' plans for the connection; with `force_generic_plan` the plan covers
    /// every partition and the executor prunes them by the bound period at run time.
    static let lookups: [Migration] = [
        Migration(name: "pg6-lookup-functions", sql: [
            """
            CREATE FUNCTION akashi_lookup(p_muni text, p_kind text, p_key text, p_from bigint, p_to bigint, p_below bigint,
                p_searches boolean, p_day_from bigint, p_day_to bigint)
            RETURNS TABLE(seq bigint, entry bytea) LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
            BEGIN
                IF p_kind = 'staff' THEN
                    RETURN QUERY SELECT e.seq, e.entry FROM event e WHERE e.muni = p_muni AND e.staff = p_key
                        AND e.at >= p_from AND e.at < p_to AND e.seq < p_below AND e.type = 'access'
                        AND (NOT p_searches OR e.register IS NULL);
                ELSIF p_kind = 'register' THEN
                    RETURN QUERY SELECT e.seq, e.entry FROM event e WHERE e.muni = p_muni AND e.register = p_key
                        AND e.at >= p_from AND e.at < p_to AND e.seq < p_below AND e.type = 'access'
                        AND NOT p_searches;
                ELSIF p_kind = 'person' THEN
                    RETURN QUERY SELECT e.seq, e.entry FROM event e WHERE e.muni = p_muni AND e.person = p_key
                        AND e.at >= p_from AND e.at < p_to AND e.seq < p_below AND e.type = 'access'
                        AND (NOT p_searches OR e.register IS NULL);
                ELSIF p_kind = 'case' THEN
                    RETURN QUERY SELECT e.seq, e.entry FROM event e WHERE e.muni = p_muni AND e.case_id = p_key
                        AND e.at >= p_from AND e.at < p_to AND e.seq < p_below AND e.type = 'access'
                        AND (NOT p_searches OR e.register IS NULL);
                ELSIF p_kind = 'office' THEN
                    RETURN QUERY SELECT e.seq, e.entry FROM event e WHERE e.muni = p_muni AND e.office = p_key
                        AND e.day >= p_day_from AND e.day <= p_day_to
                        AND e.at >= p_from AND e.at < p_to AND e.seq < p_below AND e.type = 'access'
                        AND (NOT p_searches OR e.register IS NULL);
                ELSIF p_kind = 'search_result' THEN
                    RETURN QUERY SELECT e.seq, e.entry FROM search_result x
                        JOIN event e ON e.muni = x.muni AND e.at = x.at AND e.seq = x.seq
                        WHERE x.muni = p_muni AND x.register = p_key AND x.at >= p_from AND x.at < p_to
                        AND x.seq < p_below AND e.type = 'access';
                ELSE
                    RAISE EXCEPTION 'akashi_lookup: unknown lookup %', p_kind;
                END IF;
            END $$
            """,
            """
            CREATE FUNCTION akashi_entries(p_muni text, p_from bigint, p_to bigint, p_access_only boolean, p_limit bigint)
            RETURNS TABLE(seq bigint, entry bytea) LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
            BEGIN
                RETURN QUERY SELECT e.seq, e.entry FROM event_key k
                    JOIN event e ON e.muni = k.muni AND e.at = k.at AND e.seq = k.seq
                    WHERE k.muni = p_muni AND k.seq >= p_from AND k.seq < p_to AND (NOT p_access_only OR e.type = 'access')
                    ORDER BY k.seq LIMIT p_limit;
            END $$
            """,
        ]),
    ]

    /// The key of the session advisory lock migrations run under.
    static let migrationLockKey: Int64 = 0x616B_6173_6869_6D67 // "akashimg"

    /// Records and the ledger.
    static let core: [Migration] = [
        Migration(name: "pg1-records-ledger", sql: [
            """
            CREATE FUNCTION akashi_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'append-only: % on % is refused (ledger rows cannot be changed or removed)', TG_OP, TG_TABLE_NAME;
            END $$
            """,
            "CREATE TABLE office(muni text NOT NULL, code text NOT NULL, doc bytea NOT NULL, PRIMARY KEY(muni, code))",
            "CREATE TABLE staff(muni text NOT NULL, id text NOT NULL, person text, doc bytea NOT NULL, PRIMARY KEY(muni, id))",
            """
            CREATE TABLE register(muni text NOT NULL, id text NOT NULL, kind text NOT NULL, office text NOT NULL,
                honseki text NOT NULL, head text, doc bytea NOT NULL, PRIMARY KEY(muni, id))
            """,
            "CREATE INDEX register_honseki ON register(muni, honseki, id)",
            "CREATE TABLE register_member(muni text NOT NULL, register text NOT NULL, person text NOT NULL, PRIMARY KEY(muni, person, register))",
            """
            CREATE TABLE person(muni text NOT NULL, id text NOT NULL, register text NOT NULL, name text NOT NULL,
                kana text, birth text, doc bytea NOT NULL, PRIMARY KEY(muni, id))
            """,
            "CREATE INDEX person_register ON person(muni, register)",
            "CREATE INDEX person_name ON person(muni, name)",
            "CREATE INDEX person_kana ON person(muni, kana)",
            """
            CREATE TABLE protection(muni text NOT NULL, key text NOT NULL, person text NOT NULL, kind text NOT NULL,
                doc bytea NOT NULL, PRIMARY KEY(muni, key))
            """,
            "CREATE INDEX protection_person ON protection(muni, person)",
            // arrival: the order cases came in, so the audit can find the cases that arrived since its last run.
            """
            CREATE TABLE cases(muni text NOT NULL, id text NOT NULL, arrival bigint GENERATED ALWAYS AS IDENTITY,
                office text NOT NULL, received bigint NOT NULL, doc bytea NOT NULL, PRIMARY KEY(muni, id))
            """,
            "CREATE INDEX cases_office_received ON cases(muni, office, received)",
            "CREATE INDEX cases_arrival ON cases(muni, arrival)",
            "CREATE TABLE case_register(muni text NOT NULL, register text NOT NULL, case_id text NOT NULL, PRIMARY KEY(muni, register, case_id))",
            "CREATE TABLE case_person(muni text NOT NULL, person text NOT NULL, case_id text NOT NULL, PRIMARY KEY(muni, person, case_id))",
            "CREATE TABLE case_staff(muni text NOT NULL, staff text NOT NULL, case_id text NOT NULL, PRIMARY KEY(muni, staff, case_id))",
            """
            CREATE TABLE self_report(muni text NOT NULL, key text NOT NULL, survey text NOT NULL, staff text NOT NULL,
                doc bytea NOT NULL, PRIMARY KEY(muni, key))
            """,
            // The ledger: every event, in monthly partitions by time. seq is the ledger index, entry the exact leaf.
            // The lookups (by staff, register, person, case, office and day) are indexes on the event table itself.
            """
            CREATE TABLE event(muni text NOT NULL, seq bigint NOT NULL, id text NOT NULL, type text NOT NULL,
                at bigint NOT NULL, day bigint NOT NULL, staff text, office text, register text, person text,
                case_id text, entry bytea NOT NULL, PRIMARY KEY(muni, seq, at)) PARTITION BY RANGE (at)
            """,
            "CREATE INDEX event_staff ON event(muni, staff, at, seq) WHERE staff IS NOT NULL",
            "CREATE INDEX event_register ON event(muni, register, at, seq) WHERE register IS NOT NULL",
            "CREATE INDEX event_person ON event(muni, person, at, seq) WHERE person IS NOT NULL",
            "CREATE INDEX event_case ON event(muni, case_id, seq) WHERE case_id IS NOT NULL",
            "CREATE INDEX event_office ON event(muni, office, day, seq) WHERE office IS NOT NULL",
            "CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event FOR EACH ROW EXECUTE FUNCTION akashi_append_only()",
            // An event's ID is unique in its municipality's ledger (a partitioned table cannot say so by itself).
            """
            CREATE TABLE event_key(muni text NOT NULL, id text NOT NULL, seq bigint NOT NULL, at bigint NOT NULL,
                PRIMARY KEY(muni, id))
            """,
            "CREATE UNIQUE INDEX event_key_seq ON event_key(muni, seq)",
            "CREATE TRIGGER event_key_append_only BEFORE UPDATE OR DELETE ON event_key FOR EACH ROW EXECUTE FUNCTION akashi_append_only()",
            // The registers a search listed.
            """
            CREATE TABLE search_result(muni text NOT NULL, register text NOT NULL, at bigint NOT NULL, seq bigint NOT NULL,
                PRIMARY KEY(muni, register, at, seq))
            """,
            "CREATE TRIGGER search_result_append_only BEFORE UPDATE OR DELETE ON search_result FOR EACH ROW EXECUTE FUNCTION akashi_append_only()",
            // The ledger's size, written under the ledger lock with every append (so reading it needs no scan of the
            // partitions), the tiles, the signed checkpoints.
            "CREATE TABLE ledger_head(muni text NOT NULL PRIMARY KEY, size bigint NOT NULL)",
            """
            CREATE FUNCTION akashi_ledger_head_grows() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' OR NEW.size < OLD.size THEN
                    RAISE EXCEPTION 'the ledger only grows';
                END IF;
                RETURN NEW;
            END $$
            """,
            "CREATE TRIGGER ledger_head_grows BEFORE UPDATE OR DELETE ON ledger_head FOR EACH ROW EXECUTE FUNCTION akashi_ledger_head_grows()",
            """
            CREATE TABLE ledger_tile(muni text NOT NULL, level integer NOT NULL, idx bigint NOT NULL, hashes bytea NOT NULL,
                PRIMARY KEY(muni, level, idx))
            """,
            """
            CREATE FUNCTION akashi_tile_grows() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' OR length(NEW.hashes) < length(OLD.hashes)
                   OR substring(NEW.hashes FROM 1 FOR length(OLD.hashes)) <> OLD.hashes THEN
                    RAISE EXCEPTION 'ledger tiles only grow';
                END IF;
                RETURN NEW;
            END $$
            """,
            "CREATE TRIGGER ledger_tile_grows BEFORE UPDATE OR DELETE ON ledger_tile FOR EACH ROW EXECUTE FUNCTION akashi_tile_grows()",
            """
            CREATE TABLE ledger_checkpoint(muni text NOT NULL, size bigint NOT NULL, root bytea NOT NULL, note text NOT NULL,
                PRIMARY KEY(muni, size))
            """,
            "CREATE TRIGGER ledger_checkpoint_append_only BEFORE UPDATE OR DELETE ON ledger_checkpoint FOR EACH ROW EXECUTE FUNCTION akashi_append_only()",
            "CREATE TABLE ledger_meta(muni text NOT NULL, key text NOT NULL, value text NOT NULL, PRIMARY KEY(muni, key))",
            // Rejected lines, verbatim; digest = SHA-256 of reason, NUL, raw (a B-tree cannot hold a long raw line).
            """
            CREATE TABLE quarantine(muni text NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY, file text NOT NULL,
                line bigint NOT NULL, reason text NOT NULL, raw bytea NOT NULL, digest bytea NOT NULL,
                PRIMARY KEY(muni, id), UNIQUE(muni, digest))
            """,
        ]),
    ]
}
