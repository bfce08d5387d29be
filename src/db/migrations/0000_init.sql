CREATE TABLE "audit_cases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"framework" text,
	"description" text,
	"status" text DEFAULT 'open' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"org_id" uuid,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"target_type" text,
	"target_id" text,
	"status" text NOT NULL,
	"duration_ms" integer,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "connections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"user_id" uuid,
	"provider" text NOT NULL,
	"name" text NOT NULL,
	"auth_kind" text NOT NULL,
	"site_url" text,
	"api_url" text,
	"cloud_id" text,
	"site_name" text,
	"account_email" text,
	"scopes" text[] DEFAULT '{}'::text[] NOT NULL,
	"secrets_encrypted" text,
	"expires_at" timestamp with time zone,
	"status" text DEFAULT 'active' NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connections_provider_ck" CHECK (provider in ('jira-cloud', 'jira-server', 'servicenow', 'github', 'confluence')),
	CONSTRAINT "connections_auth_kind_ck" CHECK (auth_kind in ('oauth2', 'pat', 'api-token', 'basic')),
	CONSTRAINT "connections_status_ck" CHECK (status in ('active', 'error', 'disconnected'))
);
--> statement-breakpoint
CREATE TABLE "deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"endpoint_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"delivery_id" text,
	"event" text,
	"signature_valid" boolean NOT NULL,
	"outcome" text NOT NULL,
	"error" text,
	"body_sha256" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "findings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"fingerprint" text NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"severity" text NOT NULL,
	"state" text DEFAULT 'backlog' NOT NULL,
	"state_reason" text,
	"ecosystem" text,
	"package_name" text,
	"installed_version" text,
	"fixed_version" text,
	"advisory_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"cvss_score" numeric(3, 1),
	"repo_url" text,
	"manifest_path" text,
	"framework" text,
	"control_id" text,
	"case_id" uuid,
	"source" text,
	"external_ref" text,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "findings_kind_ck" CHECK (kind in ('vulnerability', 'violation')),
	CONSTRAINT "findings_severity_ck" CHECK (severity in ('critical', 'high', 'medium', 'low', 'info')),
	CONSTRAINT "findings_state_ck" CHECK (state in ('backlog', 'todo', 'in_progress', 'in_review', 'done', 'wont_fix'))
);
--> statement-breakpoint
CREATE TABLE "mappings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"source" text NOT NULL,
	"target" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mappings_kind_ck" CHECK (kind in ('status', 'priority', 'project', 'issue_type', 'assignment_group'))
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "organizations_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "pull_request_findings" (
	"pull_request_id" uuid NOT NULL,
	"finding_id" uuid NOT NULL,
	CONSTRAINT "pull_request_findings_pull_request_id_finding_id_pk" PRIMARY KEY("pull_request_id","finding_id")
);
--> statement-breakpoint
CREATE TABLE "pull_request_tickets" (
	"pull_request_id" uuid NOT NULL,
	"ticket_id" uuid NOT NULL,
	CONSTRAINT "pull_request_tickets_pull_request_id_ticket_id_pk" PRIMARY KEY("pull_request_id","ticket_id")
);
--> statement-breakpoint
CREATE TABLE "pull_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"connection_id" uuid,
	"repo_url" text NOT NULL,
	"branch" text NOT NULL,
	"base_branch" text NOT NULL,
	"number" integer,
	"url" text,
	"title" text,
	"state" text DEFAULT 'open' NOT NULL,
	"head_sha" text,
	"merged_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pull_requests_state_ck" CHECK (state in ('open', 'closed', 'merged'))
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"finding_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"sync_state" text DEFAULT 'pending' NOT NULL,
	"external_id" text,
	"external_key" text,
	"url" text,
	"external_status" text,
	"external_priority" text,
	"state" text DEFAULT 'backlog' NOT NULL,
	"last_error" text,
	"created_by" uuid,
	"last_synced_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tickets_state_ck" CHECK (state in ('backlog', 'todo', 'in_progress', 'in_review', 'done', 'wont_fix')),
	CONSTRAINT "tickets_sync_state_ck" CHECK (sync_state in ('pending', 'created', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"subject" text NOT NULL,
	"email" text,
	"display_name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"connection_id" uuid,
	"secret_encrypted" text NOT NULL,
	"signature_header" text NOT NULL,
	"algorithm" text DEFAULT 'hmac-sha256' NOT NULL,
	"last_delivery_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_cases" ADD CONSTRAINT "audit_cases_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_endpoint_id_webhook_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."webhook_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "findings" ADD CONSTRAINT "findings_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "findings" ADD CONSTRAINT "findings_case_id_audit_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."audit_cases"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mappings" ADD CONSTRAINT "mappings_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mappings" ADD CONSTRAINT "mappings_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pull_request_findings" ADD CONSTRAINT "pull_request_findings_pull_request_id_pull_requests_id_fk" FOREIGN KEY ("pull_request_id") REFERENCES "public"."pull_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pull_request_findings" ADD CONSTRAINT "pull_request_findings_finding_id_findings_id_fk" FOREIGN KEY ("finding_id") REFERENCES "public"."findings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pull_request_tickets" ADD CONSTRAINT "pull_request_tickets_pull_request_id_pull_requests_id_fk" FOREIGN KEY ("pull_request_id") REFERENCES "public"."pull_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pull_request_tickets" ADD CONSTRAINT "pull_request_tickets_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pull_requests" ADD CONSTRAINT "pull_requests_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pull_requests" ADD CONSTRAINT "pull_requests_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_finding_id_findings_id_fk" FOREIGN KEY ("finding_id") REFERENCES "public"."findings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_cases_org_idx" ON "audit_cases" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "audit_events_org_created_idx" ON "audit_events" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE INDEX "connections_org_provider_idx" ON "connections" USING btree ("org_id","provider");--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_endpoint_delivery_uq" ON "deliveries" USING btree ("endpoint_id","delivery_id") WHERE signature_valid;--> statement-breakpoint
CREATE INDEX "deliveries_org_received_idx" ON "deliveries" USING btree ("org_id","received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "findings_org_fingerprint_uq" ON "findings" USING btree ("org_id","fingerprint");--> statement-breakpoint
CREATE INDEX "findings_org_state_idx" ON "findings" USING btree ("org_id","state");--> statement-breakpoint
CREATE INDEX "findings_case_idx" ON "findings" USING btree ("case_id");--> statement-breakpoint
CREATE UNIQUE INDEX "mappings_connection_kind_source_uq" ON "mappings" USING btree ("connection_id","kind","source");--> statement-breakpoint
CREATE UNIQUE INDEX "pull_requests_open_branch_uq" ON "pull_requests" USING btree ("org_id","repo_url","branch") WHERE state = 'open';--> statement-breakpoint
CREATE UNIQUE INDEX "tickets_finding_connection_uq" ON "tickets" USING btree ("finding_id","connection_id");--> statement-breakpoint
CREATE UNIQUE INDEX "tickets_connection_external_uq" ON "tickets" USING btree ("connection_id","external_id");--> statement-breakpoint
CREATE INDEX "tickets_org_idx" ON "tickets" USING btree ("org_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_org_subject_uq" ON "users" USING btree ("org_id","subject");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_endpoints_org_provider_uq" ON "webhook_endpoints" USING btree ("org_id","provider");