package main

// Role-based authorization for test identities, so tests can show that a
// ClusterRole such as deploy/kubernetes/rbac.yaml grants what the code needs
// and that a missing rule is a real 403 from the server. The delegating
// authorizer alone knows only system:masters (everything) and everyone else
// (nothing); the RBAC authorizer of kube-apiserver lives in k8s.io/kubernetes,
// which is not meant to be imported, so its rule matching is restated here
// (the PolicyRule semantics of rbac/v1: verbs, apiGroups, resources with
// subresources as "resource/subresource", resourceNames, "*" wildcards).
//
// A user whose certificate carries group G (its O field) is granted the
// rules of every ClusterRole or Role document in <rbac-dir>/G.yaml, read on
// each request so a test can change them while the server runs.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"

	rbacv1 "k8s.io/api/rbac/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

var groupFileName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

type fileRoleAuthorizer struct{ dir string }

func (a fileRoleAuthorizer) Authorize(_ context.Context, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	user := attrs.GetUser()
	if user == nil || !attrs.IsResourceRequest() {
		return authorizer.DecisionNoOpinion, "", nil
	}
	for _, group := range user.GetGroups() {
		if !groupFileName.MatchString(group) {
			continue
		}
		rules, err := readRules(filepath.Join(a.dir, group+".yaml"))
		if err != nil {
			return authorizer.DecisionNoOpinion, "", err
		}
		for _, rule := range rules {
			if ruleAllows(attrs, rule) {
				return authorizer.DecisionAllow, "", nil
			}
		}
	}
	return authorizer.DecisionNoOpinion, "", nil
}

func readRules(path string) ([]rbacv1.PolicyRule, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rules []rbacv1.PolicyRule
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var doc struct {
			Kind  string              `json:"kind"`
			Rules []rbacv1.PolicyRule `json:"rules"`
		}
		if err := decoder.Decode(&doc); err == io.EOF {
			return rules, nil
		} else if err != nil {
			return nil, err
		}
		if doc.Kind == "ClusterRole" || doc.Kind == "Role" {
			rules = append(rules, doc.Rules...)
		}
	}
}

func ruleAllows(attrs authorizer.Attributes, rule rbacv1.PolicyRule) bool {
	resource := attrs.GetResource()
	if attrs.GetSubresource() != "" {
		resource += "/" + attrs.GetSubresource()
	}
	return matches(rule.Verbs, attrs.GetVerb()) &&
		matches(rule.APIGroups, attrs.GetAPIGroup()) &&
		(matches(rule.Resources, resource) || (attrs.GetSubresource() != "" && contains(rule.Resources, "*/"+attrs.GetSubresource()))) &&
		(len(rule.ResourceNames) == 0 || contains(rule.ResourceNames, attrs.GetName()))
}

func matches(values []string, value string) bool {
	return contains(values, "*") || contains(values, value)
}

func contains(values []string, value string) bool {
	for _, v := range values {
		if v == value {
			return true
		}
	}
	return false
}
