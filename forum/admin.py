from django.contrib import admin, messages

from forum import policy, reindex, services, tasks
from forum.models import Category, Post, PostRevision, Reaction, SearchReindexJob, Thread
from integrations.admin import BatchJobAdmin


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position")
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("position", "name")


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "author", "post_count", "is_pinned", "is_locked")
    list_filter = ("category", "is_pinned", "is_locked")
    search_fields = ("title",)
    list_select_related = ("category", "author")
    # Counters and numbers belong to the services; the admin must not hand-edit them.
    readonly_fields = ("author", "created", "last_activity", "post_count", "last_number", "slug")
    fields = ("title", "category", "is_pinned", "is_locked", *readonly_fields)

    def has_add_permission(self, request):
        # A thread is born with its first post: members start threads on the site or the API.
        return False

    def save_model(self, request, obj, form, change):
        # Through the services, so that every moderator action is checked and audited.
        changed = set(form.changed_data)
        thread = Thread.objects.get(pk=obj.pk)
        actor = request.user
        if "title" in changed:
            thread = services.thread_edit_title(actor=actor, thread=thread, title=obj.title)
        if "category" in changed:
            thread = services.thread_move(actor=actor, thread=thread, category=obj.category)
        if "is_pinned" in changed:
            thread = services.thread_pin(actor=actor, thread=thread, pinned=obj.is_pinned)
        if "is_locked" in changed:
            thread = services.thread_lock(actor=actor, thread=thread, locked=obj.is_locked)


class RevisionInline(admin.TabularInline):
    model = PostRevision
    extra = 0
    can_delete = False
    fields = ("number", "editor", "created", "source")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    """Read-only: what a member wrote, who wrote and edited it and when are facts, not settings.
    A moderator changes a post only through the services (hide and restore here, editing on the
    site), which check and audit the change."""

    list_display = ("__str__", "thread", "author", "state", "created")
    list_filter = ("state",)
    search_fields = ("source",)
    list_select_related = ("thread", "author")
    fields = (
        "thread",
        "number",
        "author",
        "source",
        "created",
        "edited",
        "edited_by",
        "edit_count",
        "state",
        "state_changed",
        "state_changed_by",
    )
    readonly_fields = fields
    inlines = [RevisionInline]
    actions = ("hide", "restore")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Nothing on the form can be changed; the actions below have their own permission.
        return False

    def has_delete_permission(self, request, obj=None):
        # Nothing a member wrote is destroyed: moderators hide, authors soft-delete.
        return False

    def has_moderate_permission(self, request):
        return policy.can_moderate(request.user)

    def _apply(self, request, queryset, do, state: str, done: str) -> None:
        changed, unchanged = 0, 0
        for post in queryset.select_related("thread"):
            if post.state == state:
                unchanged += 1
                continue
            do(actor=request.user, post=post)
            changed += 1
        if changed:
            self.message_user(request, f"{done}: {changed}.", messages.SUCCESS)
        if unchanged:
            self.message_user(
                request,
                f"{unchanged} already {state}: nothing was changed or recorded for them.",
                messages.WARNING,
            )

    @admin.action(description="Hide the selected posts", permissions=["moderate"])
    def hide(self, request, queryset):
        self._apply(request, queryset, services.post_hide, Post.State.HIDDEN, "Hidden")

    @admin.action(description="Restore the selected posts", permissions=["moderate"])
    def restore(self, request, queryset):
        self._apply(request, queryset, services.post_restore, Post.State.VISIBLE, "Restored")


@admin.register(SearchReindexJob)
class SearchReindexJobAdmin(BatchJobAdmin):
    """Rebuild the search index on the workers (after a bulk import or a change of what is
    indexed); searches keep finding the current rows meanwhile."""

    step_task = tasks.search_reindex_step
    list_display = ("created", "status", "progress", "written", "created_by", "updated")

    def start(self, request, obj):
        return reindex.job_start(batch_size=obj.batch_size, actor=request.user)


@admin.register(Reaction)
class ReactionAdmin(admin.ModelAdmin):
    """Who reacted how, to look into a burst of reactions; read-only, since a reaction is a
    member's own act (they take it back themselves). Post counts follow forum.services."""

    list_display = ("created", "kind", "user", "post")
    list_filter = ("kind",)
    list_select_related = ("user", "post__thread")
    search_fields = ("user__username",)
    readonly_fields = ("post", "user", "kind", "created")
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
