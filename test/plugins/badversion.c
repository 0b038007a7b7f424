/*
 * badversion.c - a plugin built for another plugin API version (the
 * l2tpns 2.x one): the daemon must refuse it.
 */
int plugin_api_version = 7;

int plugin_init(void *funcs);

int
plugin_init(void *funcs)
{
	return 0;
}
