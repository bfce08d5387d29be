CREATE TABLE "scan_finding_aliases" (
	"org_id" uuid NOT NULL,
	"target" text NOT NULL,
	"alias_key" text NOT NULL,
	"finding_id" uuid NOT NULL,
	CONSTRAINT "scan_finding_aliases_org_id_target_alias_key_pk" PRIMARY KEY("org_id","target","alias_key")
);
--> statement-breakpoint
DROP INDEX "findings_advisory_ids_idx";--> statement-breakpoint
ALTER TABLE "scan_finding_aliases" ADD CONSTRAINT "scan_finding_aliases_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scan_finding_aliases" ADD CONSTRAINT "scan_finding_aliases_finding_id_findings_id_fk" FOREIGN KEY ("finding_id") REFERENCES "public"."findings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "scan_finding_aliases_finding_idx" ON "scan_finding_aliases" USING btree ("finding_id");