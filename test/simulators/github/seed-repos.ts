/**
 * Seed repositories with realistic manifests for every ecosystem the fix-PR updater handles, each
 * holding at least one dependency with a known advisory (lodash 4.17.15, requests 2.25.1, jackson,
 * log4j via a property, golang.org/x/net, nokogiri …). Written for this simulator; committed with a
 * fixed author and dates, so their SHAs are the same on every start.
 */
import type { CommitSpec, RepositorySpec } from './repositories.ts';

const DAY1 = '2024-01-15T09:00:00Z';
const DAY2 = '2024-02-01T10:30:00Z';

const webPackageJson = `{
  "name": "@acme/web",
  "version": "1.4.0",
  "private": true,
  "description": "Acme storefront",
  "scripts": {
    "build": "webpack --mode production",
    "start": "node server.js",
    "test": "jest"
  },
  "dependencies": {
    "express": "4.17.1",
    "lodash": "^4.17.15",
    "axios": "~0.21.1",
    "minimist": "1.2.5",
    "react": "^17.0.2",
    "react-dom": "^17.0.2"
  },
  "devDependencies": {
    "jest": "^27.0.6",
    "webpack": "5.50.0",
    "webpack-cli": "^4.8.0"
  }
}
`;

const webServer = `const express = require('express');
const _ = require('lodash');

const app = express();
app.get('/health', (_req, res) => res.json(_.pick({ ok: true, version: '1.4.0' }, ['ok'])));
app.listen(process.env.PORT || 3000);
`;

const apiRequirements = `# Runtime dependencies for the Acme API
Django==3.2.4
djangorestframework==3.12.4
requests==2.25.1
urllib3>=1.26.4,<2
PyYAML==5.3.1  # config loader
psycopg2-binary==2.8.6
cryptography~=3.3.2
gunicorn==20.1.0
`;

const apiRequirementsDev = `-r requirements.txt
pytest==6.2.4
pytest-django==4.4.0
black==21.7b0
Jinja2==2.11.2
`;

const svcGoMod = `module github.com/acme/svc

go 1.21

require (
	github.com/gin-gonic/gin v1.7.0
	github.com/golang-jwt/jwt/v4 v4.4.1
	golang.org/x/net v0.7.0
	google.golang.org/grpc v1.56.2
)

require (
	github.com/gin-contrib/sse v0.1.0 // indirect
	golang.org/x/sys v0.5.0 // indirect
	golang.org/x/text v0.7.0 // indirect
	google.golang.org/protobuf v1.30.0 // indirect
)
`;

const svcMain = `package main

import "github.com/gin-gonic/gin"

func main() {
	r := gin.Default()
	r.GET("/health", func(c *gin.Context) { c.JSON(200, gin.H{"ok": true}) })
	_ = r.Run()
}
`;

const javaPom = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>

  <groupId>com.acme</groupId>
  <artifactId>billing</artifactId>
  <version>2.3.0-SNAPSHOT</version>
  <packaging>jar</packaging>

  <properties>
    <java.version>17</java.version>
    <log4j.version>2.14.1</log4j.version>
    <jackson.version>2.12.1</jackson.version>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>

  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>\${log4j.version}</version>
    </dependency>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>\${jackson.version}</version>
    </dependency>
    <dependency>
      <groupId>commons-io</groupId>
      <artifactId>commons-io</artifactId>
      <version>2.6</version>
    </dependency>
    <dependency>
      <groupId>junit</groupId>
      <artifactId>junit</artifactId>
      <version>4.12</version>
      <scope>test</scope>
    </dependency>
  </dependencies>
</project>
`;

const javaBuildGradle = `plugins {
    id 'java'
    id 'org.springframework.boot' version '2.5.4'
}

group = 'com.acme'
version = '2.3.0-SNAPSHOT'

repositories {
    mavenCentral()
}

dependencies {
    implementation 'org.springframework.boot:spring-boot-starter-web'
    implementation "com.google.guava:guava:\${guavaVersion}"
    implementation group: 'org.yaml', name: 'snakeyaml', version: '1.28'
    implementation 'org.apache.commons:commons-text:1.9'
    testImplementation 'junit:junit:4.12'
}
`;

const javaBuildGradleKts = `plugins {
    kotlin("jvm") version "1.5.31"
    application
}

dependencies {
    implementation("com.squareup.okhttp3:okhttp:4.9.1")
    implementation(libs.jackson.databind)
    implementation(libs.netty.codec.http)
    testImplementation("org.junit.jupiter:junit-jupiter:5.7.2")
}

application {
    mainClass.set("com.acme.billing.MainKt")
}
`;

const javaVersionsToml = `[versions]
jackson = "2.12.1"
netty = "4.1.65.Final"
kotlin = "1.5.31"

[libraries]
jackson-databind = { module = "com.fasterxml.jackson.core:jackson-databind", version.ref = "jackson" }
netty-codec-http = { module = "io.netty:netty-codec-http", version.ref = "netty" }
protobuf-java = { group = "com.google.protobuf", name = "protobuf-java", version = "3.16.0" }

[plugins]
kotlin-jvm = { id = "org.jetbrains.kotlin.jvm", version.ref = "kotlin" }
`;

const javaGradleProperties = `org.gradle.jvmargs=-Xmx2g
org.gradle.parallel=true
guavaVersion=29.0-jre
`;

const railsGemfile = `source "https://rubygems.org"
git_source(:github) { |repo| "https://github.com/#{repo}.git" }

ruby "3.0.2"

gem "rails", "~> 6.1.4"
gem "puma", "~> 5.0"
gem "nokogiri", ">= 1.11.0"
gem "rack", "~> 2.2.3"

group :development, :test do
  gem "rspec-rails", "~> 5.0"
end
`;

const railsGemfileLock = `GEM
  remote: https://rubygems.org/
  specs:
    actionpack (6.1.4)
      actionview (= 6.1.4)
      activesupport (= 6.1.4)
      rack (~> 2.0, >= 2.0.9)
    actionview (6.1.4)
      activesupport (= 6.1.4)
    activesupport (6.1.4)
      concurrent-ruby (~> 1.0, >= 1.0.2)
    concurrent-ruby (1.1.9)
    mini_portile2 (2.5.3)
    nio4r (2.5.8)
    nokogiri (1.11.7)
      mini_portile2 (~> 2.5.0)
      racc (~> 1.4)
    puma (5.4.0)
      nio4r (~> 2.0)
    racc (1.5.2)
    rack (2.2.3)
    rails (6.1.4)
      actionpack (= 6.1.4)
      activesupport (= 6.1.4)
    rspec-rails (5.0.2)
      actionpack (>= 5.2)

PLATFORMS
  ruby

DEPENDENCIES
  nokogiri (>= 1.11.0)
  puma (~> 5.0)
  rack (~> 2.2.3)
  rails (~> 6.1.4)
  rspec-rails (~> 5.0)

RUBY VERSION
   ruby 3.0.2p107

BUNDLED WITH
   2.2.22
`;

const monoRootPackageJson = `{
  "name": "acme-mono",
  "private": true,
  "workspaces": ["packages/*"],
  "devDependencies": {
    "typescript": "4.4.3",
    "lodash": "4.17.15"
  }
}
`;

const monoFrontendPackageJson = `{
  "name": "@acme/frontend",
  "version": "0.9.0",
  "dependencies": {
    "lodash": "^4.17.15",
    "node-fetch": "2.6.0"
  }
}
`;

const monoBackendPackageJson = `{
  "name": "@acme/backend",
  "version": "0.9.0",
  "dependencies": {
    "express": "4.17.1",
    "jsonwebtoken": "8.5.1"
  }
}
`;

const readme = (name: string, text: string) => `# ${name}\n\n${text}\n`;

function repo(fullName: string, description: string, files: Record<string, string>, extra: CommitSpec[] = []): RepositorySpec {
  return {
    fullName,
    description,
    private: true,
    commits: [{ message: 'Initial commit', files, date: DAY1 }, ...extra],
  };
}

export function seedRepositories(): RepositorySpec[] {
  return [
    repo('acme/web', 'Acme storefront (npm)', { 'README.md': readme('web', 'Acme storefront.'), 'package.json': webPackageJson, 'server.js': webServer }, [
      { message: 'Add CI workflow', files: { '.github/workflows/ci.yml': 'name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: npm test\n' }, date: DAY2 },
    ]),
    repo('acme/api', 'Acme API (pip)', {
      'README.md': readme('api', 'Acme API service.'),
      'requirements.txt': apiRequirements,
      'requirements-dev.txt': apiRequirementsDev,
      'app/__init__.py': '',
      'app/main.py': 'import requests\n\n\ndef ping() -> int:\n    return requests.get("https://example.com").status_code\n',
    }),
    repo('acme/svc', 'Acme service (Go modules)', {
      'README.md': readme('svc', 'Acme Go service.'),
      'go.mod': svcGoMod,
      'main.go': svcMain,
    }),
    repo('acme/java', 'Acme billing (Maven and Gradle)', {
      'README.md': readme('java', 'Acme billing, built with both Maven and Gradle.'),
      'pom.xml': javaPom,
      'build.gradle': javaBuildGradle,
      'build.gradle.kts': javaBuildGradleKts,
      'gradle/libs.versions.toml': javaVersionsToml,
      'gradle.properties': javaGradleProperties,
      'settings.gradle': "rootProject.name = 'billing'\n",
    }),
    repo('acme/rails', 'Acme admin (Bundler)', {
      'README.md': readme('rails', 'Acme admin app.'),
      Gemfile: railsGemfile,
      'Gemfile.lock': railsGemfileLock,
      'config.ru': 'require_relative "config/environment"\nrun Rails.application\n',
    }),
    repo('acme/mono', 'Acme monorepo (several ecosystems)', {
      'README.md': readme('mono', 'Several services, several manifests.'),
      'package.json': monoRootPackageJson,
      'packages/frontend/package.json': monoFrontendPackageJson,
      'packages/backend/package.json': monoBackendPackageJson,
      'services/worker/requirements.txt': 'celery==5.1.2\nrequests==2.25.1\nredis==3.5.3\n',
      'services/gateway/go.mod': 'module github.com/acme/mono/services/gateway\n\ngo 1.21\n\nrequire golang.org/x/net v0.7.0\n',
      'services/billing/pom.xml': javaPom,
    }),
  ];
}
