CREATE TABLE "scan_target_findings" (
	"finding_id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"target" text NOT NULL,
	"last_scan_id" uuid NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scans" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"target" text NOT NULL,
	"format" text NOT NULL,
	"partial" boolean DEFAULT false NOT NULL,
	"actor" text NOT NULL,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "scan_target_findings" ADD CONSTRAINT "scan_target_findings_finding_id_findings_id_fk" FOREIGN KEY ("finding_id") REFERENCES "public"."findings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scan_target_findings" ADD CONSTRAINT "scan_target_findings_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scan_target_findings" ADD CONSTRAINT "scan_target_findings_last_scan_id_scans_id_fk" FOREIGN KEY ("last_scan_id") REFERENCES "public"."scans"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scans" ADD CONSTRAINT "scans_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "scan_target_findings_target_idx" ON "scan_target_findings" USING btree ("org_id","target","last_scan_id");--> statement-breakpoint
CREATE INDEX "scans_org_target_idx" ON "scans" USING btree ("org_id","target","created_at");--> statement-breakpoint
CREATE INDEX "findings_advisory_ids_idx" ON "findings" USING gin ("advisory_ids");