CREATE TABLE "org_policies" (
	"org_id" uuid PRIMARY KEY NOT NULL,
	"ticket_severities" text[] DEFAULT '{}'::text[] NOT NULL,
	"ticket_connection_id" uuid,
	"ticket_options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"pr_severities" text[] DEFAULT '{}'::text[] NOT NULL,
	"pr_connection_id" uuid,
	"pr_grouping" text DEFAULT 'repo_scan' NOT NULL,
	"sla_days" jsonb NOT NULL,
	"updated_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "org_policies_pr_grouping_ck" CHECK (pr_grouping in ('repo_scan', 'package'))
);
--> statement-breakpoint
ALTER TABLE "findings" ADD COLUMN "due_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "findings" ADD COLUMN "breached_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "org_policies" ADD CONSTRAINT "org_policies_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "org_policies" ADD CONSTRAINT "org_policies_ticket_connection_id_connections_id_fk" FOREIGN KEY ("ticket_connection_id") REFERENCES "public"."connections"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "org_policies" ADD CONSTRAINT "org_policies_pr_connection_id_connections_id_fk" FOREIGN KEY ("pr_connection_id") REFERENCES "public"."connections"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "findings_sla_due_idx" ON "findings" USING btree ("due_at") WHERE "findings"."breached_at" is null and "findings"."due_at" is not null;--> statement-breakpoint
-- SLA due dates (src/services/policies, docs/policies-and-sla.md): first_seen_at + the organization's
-- days for the severity; without a stored policy the defaults (critical 7, high 30, medium 90, low 180,
-- info none; the same as DEFAULT_SLA_DAYS in src/contracts/policies.ts). NULL = no due date.
CREATE FUNCTION "sla_due_at"(p_org uuid, p_severity text, p_first_seen timestamptz) RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT p_first_seen + make_interval(days => d.days)
    FROM (SELECT (coalesce((SELECT "sla_days" FROM "org_policies" WHERE "org_id" = p_org),
                           '{"critical": 7, "high": 30, "medium": 90, "low": 180}'::jsonb) ->> p_severity)::integer AS days) d
   WHERE d.days IS NOT NULL
$$;
--> statement-breakpoint
-- Inserted findings and findings whose severity (or first-seen time) changes get their due date here,
-- whoever writes them (API, imports, webhooks). A due date moved into the future clears the breach mark.
CREATE FUNCTION "findings_due_at"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW."severity" IS NOT DISTINCT FROM OLD."severity" AND NEW."first_seen_at" IS NOT DISTINCT FROM OLD."first_seen_at" THEN
      RETURN NEW;
    END IF;
  END IF;
  NEW."due_at" := "sla_due_at"(NEW."org_id", NEW."severity", NEW."first_seen_at");
  IF NEW."due_at" IS NULL OR NEW."due_at" > now() THEN
    NEW."breached_at" := NULL;
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER "findings_due_at" BEFORE INSERT OR UPDATE OF "severity", "first_seen_at" ON "findings"
  FOR EACH ROW EXECUTE FUNCTION "findings_due_at"();
--> statement-breakpoint
UPDATE "findings" SET "due_at" = "sla_due_at"("org_id", "severity", "first_seen_at");
