ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_id_org_uq" UNIQUE("id","org_id");--> statement-breakpoint
ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_org_id_organizations_id_fk";--> statement-breakpoint
ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_endpoint_id_webhook_endpoints_id_fk";--> statement-breakpoint
DROP INDEX "deliveries_org_received_idx";--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_endpoint_org_fk" FOREIGN KEY ("endpoint_id","org_id") REFERENCES "public"."webhook_endpoints"("id","org_id") ON DELETE cascade ON UPDATE no action;
