-- Invariants the table definitions cannot express. Plain SQL that runs on PostgreSQL 15 and PGlite (18).

-- The tenant every fresh install starts with (seed 003).
INSERT INTO "organizations" ("slug", "name") VALUES ('demo-org', 'Demo organization') ON CONFLICT ("slug") DO NOTHING;
--> statement-breakpoint

-- Every connection gets the fallback mapping rows (seed 003: status default -> backlog, priority default -> medium).
CREATE FUNCTION "connection_default_mappings"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "mappings" ("org_id", "connection_id", "kind", "source", "target")
  VALUES (NEW."org_id", NEW."id", 'status', 'default', 'backlog'),
         (NEW."org_id", NEW."id", 'priority', 'default', 'medium')
  ON CONFLICT DO NOTHING;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER "connections_default_mappings" AFTER INSERT ON "connections"
  FOR EACH ROW EXECUTE FUNCTION "connection_default_mappings"();
--> statement-breakpoint

-- A default row can be retargeted but never removed while its connection exists.
CREATE FUNCTION "mappings_keep_default"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD."source" = 'default' AND EXISTS (SELECT 1 FROM "connections" WHERE "id" = OLD."connection_id") THEN
    RAISE EXCEPTION 'the default % mapping cannot be removed', OLD."kind" USING ERRCODE = 'check_violation';
  END IF;
  RETURN OLD;
END $$;
--> statement-breakpoint
CREATE TRIGGER "mappings_keep_default" BEFORE DELETE ON "mappings"
  FOR EACH ROW EXECUTE FUNCTION "mappings_keep_default"();
--> statement-breakpoint
CREATE FUNCTION "mappings_keep_default_source"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD."source" = 'default' AND NEW."source" <> 'default' THEN
    RAISE EXCEPTION 'the default % mapping cannot be renamed', OLD."kind" USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER "mappings_keep_default_source" BEFORE UPDATE ON "mappings"
  FOR EACH ROW EXECUTE FUNCTION "mappings_keep_default_source"();
--> statement-breakpoint

-- The audit log is append-only; rows leave only with their organization.
CREATE FUNCTION "audit_events_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM "organizations" WHERE "id" = OLD."org_id") THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
--> statement-breakpoint
CREATE TRIGGER "audit_events_append_only" BEFORE UPDATE OR DELETE ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION "audit_events_append_only"();
