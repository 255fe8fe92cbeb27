package app

// IAMSubscriptions are the iam process's merged consumers of the records
// and the audit log, for app_test.
var IAMSubscriptions = iamSubscriptions
